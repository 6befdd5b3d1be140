package io.bigbigan.trainer.distributed;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.layers.BatchStatistics;
import io.bigbigan.trainer.data.BatchLoader;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.data.StagedBatch;
import io.bigbigan.trainer.data.SyntheticShapes;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The single-process parts of data parallelism: sharded batches, rank settings, the cross-replica BN forward. */
class DataParallelPartsTest {
    @Test
    void shardsOfAGlobalBatchAreItsDisjointRowsInOrder() {
        try (ImageDataset ds = SyntheticShapes.generate("s", 50, 3)) {
            BatchLoader whole = BatchLoader.builder(ds).batchSize(12).seed(5).startBatch(3).build();
            BatchLoader r0 = BatchLoader.builder(ds).batchSize(6).seed(5).startBatch(3).shard(0, 2).build();
            BatchLoader r1 = BatchLoader.builder(ds).batchSize(6).seed(5).startBatch(3).shard(1, 2).build();
            assertEquals(whole.batchesPerEpoch(), r0.batchesPerEpoch());
            for (int k = 0; k < 6; k++) {                                // crosses the 4-batch epoch boundary
                StagedBatch w = whole.next(), a = r0.next(), b = r1.next();
                assertEquals(w.epoch(), a.epoch());
                float[] all = Tensors.toFloats(w.images(0));
                float[] both = concat(Tensors.toFloats(a.images(0)), Tensors.toFloats(b.images(0)));
                assertArrayEquals(all, both, "batch " + k);
            }
            whole.close();
            r0.close();
            r1.close();
            assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder(ds).batchSize(30).shard(1, 2).build());
            assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder(ds).shard(2, 2));
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void rankSettingsComeFromFlagsOrTheEnvironment() {
        Duration t = Duration.ofSeconds(30);
        assertNull(ReplicaSetup.resolve(null, null, null, null, t, "gloo", Map.of()));
        assertNull(ReplicaSetup.resolve(null, 1, null, null, t, "gloo", Map.of()));
        var env = ReplicaSetup.resolve(null, null, null, null, t, "gloo",
                Map.of("RANK", "1", "WORLD_SIZE", "4", "MASTER_ADDR", "host0", "MASTER_PORT", "1234"));
        assertEquals(new ReplicaSetup(1, 4, "host0", 1234, t, "gloo"), env);
        var flags = ReplicaSetup.resolve(2, 4, null, null, t, "gloo", Map.of("RANK", "1", "WORLD_SIZE", "2"));
        assertEquals(new ReplicaSetup(2, 4, "127.0.0.1", ReplicaSetup.DEFAULT_PORT, t, "gloo"), flags);
        var e = assertThrows(IllegalArgumentException.class, () -> ReplicaSetup.resolve(4, 4, null, null, t, "gloo", Map.of()));
        assertTrue(e.getMessage().contains("--rank must be in 0..3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ReplicaSetup.resolve(null, 2, null, null, t, "gloo", Map.of()));
        assertTrue(e.getMessage().contains("needs --rank"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReplicaSetup.resolve(null, null, null, null, t, "gloo", Map.of("WORLD_SIZE", "two")));
        assertTrue(e.getMessage().contains("WORLD_SIZE"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReplicaSetup.resolve(0, 2, null, null, t, "mpi", Map.of()));
    }

    /** Two identical replicas: global statistics equal local ones, so the result is LibTorch's own batch norm. */
    @Test
    void crossReplicaBatchNormOfIdenticalReplicasIsPlainBatchNorm() {
        BatchNormOptions o = new BatchNormOptions(3);
        BatchNorm2dImpl mine = new BatchNorm2dImpl(o), ref = new BatchNorm2dImpl(new BatchNormOptions(3));
        mine.train(true);
        ref.train(true);
        BatchStatistics twins = new BatchStatistics() {
            @Override
            public Tensor sumAcrossReplicas(Tensor local) {
                return local.mul(new Scalar(2.0));
            }

            @Override
            public int replicas() {
                return 2;
            }
        };
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.randn(4, 3, 5, 5).mul(new Scalar(3.0)).add(new Scalar(1.0));    // [4, 3, 5, 5]
            BatchStatistics.install(twins);
            Tensor y;
            try {
                y = BatchNorms.forward(mine, x);
            } finally {
                BatchStatistics.install(null);
            }
            Tensor expected = ref.forward(x);
            assertTrue(y.sub(expected).abs().max().item_double() < 1e-5);
            assertTrue(mine.running_mean().sub(ref.running_mean()).abs().max().item_double() < 1e-6);
            // the running variance is unbiased over the global count (2 x 100 elements per channel, not 100)
            Tensor var = x.transpose(0, 1).reshape(3, -1).var(new long[]{1}, false);                        // biased, [3]
            Tensor expectedVar = var.mul(new Scalar(0.1 * 200 / 199.0)).add(new Scalar(0.9));
            assertTrue(mine.running_var().sub(expectedVar).abs().max().item_double() < 1e-5);
            assertEquals(1L, mine.num_batches_tracked().item_long());
            assertTrue(BatchNorms.forward(mine, x).sub(expected).abs().max().item_double() < 1e-5, "local default");
        }
    }
}
