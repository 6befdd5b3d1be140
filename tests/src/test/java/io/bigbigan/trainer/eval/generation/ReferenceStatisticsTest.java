package io.bigbigan.trainer.eval.generation;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.eval.GaussianStatistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class ReferenceStatisticsTest {
    private static GaussianStatistics stats(float shift) {
        try (StepScope s = StepScope.open()) {
            return GaussianStatistics.of(Tensors.of(new float[]{1 + shift, 2, 3, 5 + shift, 4, 1}, 3, 2));
        }
    }

    @Test
    void reusesEntriesAndRecomputesWhenTheKeyChanges(@TempDir Path dir) throws Exception {
        ReferenceStatistics cache = new ReferenceStatistics(dir);
        AtomicInteger computed = new AtomicInteger();
        var key = new ReferenceStatistics.Key("fashion-mnist", "train", "domain:abc", 3);
        var first = cache.get(key, () -> { computed.incrementAndGet(); return stats(0); });
        var second = cache.get(key, () -> { computed.incrementAndGet(); return stats(0); });
        assertEquals(ReferenceStatistics.Source.COMPUTED, first.source());
        assertEquals(ReferenceStatistics.Source.CACHE, second.source());
        assertEquals(1, computed.get());
        try (StepScope s = StepScope.open()) {
            assertArrayEquals(Tensors.toFloats(first.statistics().covariance().to(org.bytedeco.pytorch.global.torch.ScalarType.Float)),
                    Tensors.toFloats(second.statistics().covariance().to(org.bytedeco.pytorch.global.torch.ScalarType.Float)));
            assertEquals(3, second.statistics().count());
        }
        // any part of the key changing gives another entry
        for (var other : new ReferenceStatistics.Key[]{
                new ReferenceStatistics.Key("mnist", "train", "domain:abc", 3),
                new ReferenceStatistics.Key("fashion-mnist", "test", "domain:abc", 3),
                new ReferenceStatistics.Key("fashion-mnist", "train", "domain:abd", 3),
                new ReferenceStatistics.Key("fashion-mnist", "train", "domain:abc", 4)}) {
            assertNotEquals(cache.file(key), cache.file(other));
            assertEquals(ReferenceStatistics.Source.COMPUTED, cache.get(other, () -> stats(1)).source());
        }
        // a file holding another key's statistics (e.g. copied over) is not trusted: recomputed and replaced
        Files.copy(cache.file(new ReferenceStatistics.Key("mnist", "train", "domain:abc", 3)), cache.file(key),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(ReferenceStatistics.Source.COMPUTED, cache.get(key, () -> stats(0)).source());
        assertEquals(ReferenceStatistics.Source.CACHE, cache.get(key, () -> stats(0)).source());
    }

    @Test
    void withoutADirectoryNothingIsCached() throws Exception {
        ReferenceStatistics none = new ReferenceStatistics(null);
        var key = new ReferenceStatistics.Key("d", "train", "x", 3);
        assertEquals(ReferenceStatistics.Source.COMPUTED, none.get(key, () -> stats(0)).source());
        assertEquals(ReferenceStatistics.Source.COMPUTED, none.get(key, () -> stats(0)).source());
    }
}
