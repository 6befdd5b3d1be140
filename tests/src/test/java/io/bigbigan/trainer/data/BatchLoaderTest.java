package io.bigbigan.trainer.data;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.data.augment.ImagePipeline;
import io.bigbigan.trainer.data.augment.ImageShape;
import io.bigbigan.trainer.data.augment.ImageTransform;
import io.bigbigan.trainer.data.augment.Pad;
import io.bigbigan.trainer.data.augment.RandomHorizontalFlip;
import io.bigbigan.trainer.data.augment.RandomResizedCrop;
import io.bigbigan.trainer.data.augment.ToSignedRange;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchLoaderTest {
    private static BatchLoader loader(ImageDataset ds, int workers, int prefetch, long epochs) {
        return BatchLoader.builder(ds).batchSize(8).seed(42).workers(workers).prefetch(prefetch).epochs(epochs)
                .view(ImagePipeline.of(new Pad(2, 0f), new ToSignedRange()))
                .view(ImagePipeline.of(new RandomResizedCrop(16), new RandomHorizontalFlip(), new ToSignedRange()))
                .build();
    }

    /** Every batch as (indices, view 0, view 1, labels) arrays. */
    private static List<Object[]> drain(BatchLoader loader) {
        List<Object[]> out = new ArrayList<>();
        while (loader.hasNext())
            try (StepScope s = StepScope.open()) {
                StagedBatch b = loader.next();
                Tensor v0 = b.images(0), v1 = b.images(1);
                assertArrayEquals(new long[]{8, 1, 32, 32}, Tensors.shape(v0));
                assertArrayEquals(new long[]{8, 1, 16, 16}, Tensors.shape(v1));
                out.add(new Object[]{b.datasetIndices(), Tensors.toFloats(v0), Tensors.toFloats(v1),
                        Tensors.toLongs(b.labels()), b.epoch()});
            }
        return out;
    }

    @Test
    void startBatchDeliversTheTailOfAnUnskippedLoader() {
        try (ImageDataset ds = SyntheticShapes.generate("s", 40, 3)) {
            List<Object[]> full;
            try (BatchLoader l = loader(ds, 1, 2, 3)) { full = drain(l); }
            assertEquals(15, full.size());
            for (long k : new long[]{0, 3, 5, 7, 14}) {
                List<Object[]> tail;
                try (BatchLoader l = BatchLoader.builder(ds).batchSize(8).seed(42).workers(2).prefetch(2).epochs(3)
                        .startBatch(k)
                        .view(ImagePipeline.of(new Pad(2, 0f), new ToSignedRange()))
                        .view(ImagePipeline.of(new RandomResizedCrop(16), new RandomHorizontalFlip(), new ToSignedRange()))
                        .build()) {
                    assertEquals(k, l.position());
                    tail = drain(l);
                }
                assertEquals(15 - k, tail.size(), "start " + k);
                for (int j = 0; j < tail.size(); j++) {
                    Object[] want = full.get((int) k + j), got = tail.get(j);
                    assertArrayEquals((int[]) want[0], (int[]) got[0], "indices, start " + k + " batch " + j);
                    assertArrayEquals((float[]) want[1], (float[]) got[1]);
                    assertArrayEquals((float[]) want[2], (float[]) got[2]);
                    assertArrayEquals((long[]) want[3], (long[]) got[3]);
                    assertEquals(want[4], got[4]);
                }
            }
            try (BatchLoader l = BatchLoader.builder(ds).batchSize(8).epochs(1).startBatch(5).build()) {
                assertFalse(l.hasNext());   // past the epoch limit: nothing to deliver
            }
            assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder(ds).startBatch(-1));
        }
    }

    @Test
    void sameBatchesForOneAndTwoWorkersAndAcrossRuns() {
        try (ImageDataset ds = SyntheticShapes.generate("s", 40, 3)) {
            List<Object[]> a, b, c;
            try (BatchLoader l = loader(ds, 1, 2, 2)) { a = drain(l); }
            try (BatchLoader l = loader(ds, 2, 3, 2)) { b = drain(l); }
            try (BatchLoader l = loader(ds, 2, 1, 2)) { c = drain(l); }
            assertEquals(10, a.size()); // 2 epochs x 5 batches
            for (int k = 0; k < a.size(); k++)
                for (int f = 0; f < 4; f++) {
                    assertTrue(Arrays.deepEquals(new Object[]{a.get(k)[f]}, new Object[]{b.get(k)[f]}), "batch " + k);
                    assertTrue(Arrays.deepEquals(new Object[]{a.get(k)[f]}, new Object[]{c.get(k)[f]}), "batch " + k);
                }
        }
    }

    @Test
    void twoEpochsInOrderEachAPermutationWithMatchingLabels() {
        try (ImageDataset ds = SyntheticShapes.generate("s", 40, 3); BatchLoader l = loader(ds, 2, 3, 2)) {
            List<Object[]> all = drain(l);
            assertThrows(NoSuchElementException.class, l::next);
            for (int e = 0; e < 2; e++) {
                Set<Integer> seen = new HashSet<>();
                for (int k = 5 * e; k < 5 * e + 5; k++) {
                    assertEquals((long) e, all.get(k)[4]);
                    int[] idx = (int[]) all.get(k)[0];
                    long[] labels = (long[]) all.get(k)[3];
                    for (int j = 0; j < idx.length; j++) {
                        seen.add(idx[j]);
                        assertEquals(ds.label(idx[j]), labels[j]);
                    }
                }
                assertEquals(40, seen.size(), "epoch " + e + " covers every image once");
            }
            assertFalse(Arrays.equals((int[]) all.get(0)[0], (int[]) all.get(5)[0]), "epochs are reshuffled");
            // view 0 is the padded image mapped to [-1, 1]: check one value against the data set
            int i0 = ((int[]) all.get(0)[0])[0];
            float[] v0 = (float[]) all.get(0)[1];
            try (StepScope s = StepScope.open()) {
                float[] img = Tensors.toFloats(ds.all().select(0, i0));
                assertEquals(2 * img[5 * 28 + 7] - 1, v0[(5 + 2) * 32 + 7 + 2], 1e-6f);
                assertEquals(-1f, v0[0]);
            }
        }
    }

    @Test
    void differentSeedsGiveDifferentOrders() {
        try (ImageDataset ds = SyntheticShapes.generate("s", 40, 3);
             BatchLoader a = BatchLoader.builder(ds).batchSize(8).seed(1).build();
             BatchLoader b = BatchLoader.builder(ds).batchSize(8).seed(2).build()) {
            assertNotEquals(Arrays.toString(a.next().datasetIndices()), Arrays.toString(b.next().datasetIndices()));
        }
    }

    @Test
    void sequentialPartialLastBatch() {
        try (ImageDataset ds = SyntheticShapes.generate("s", 10, 3);
             BatchLoader l = BatchLoader.builder(ds).batchSize(4).shuffle(false).dropLast(false).epochs(1).build();
             StepScope s = StepScope.open()) {
            assertArrayEquals(new int[]{0, 1, 2, 3}, l.next().datasetIndices());
            l.next();
            StagedBatch last = l.next();
            assertArrayEquals(new int[]{8, 9}, last.datasetIndices());
            assertArrayEquals(new long[]{2, 1, 28, 28}, Tensors.shape(last.images(0)));
            assertFalse(l.hasNext());
        }
    }

    /** Fails on one data set image, identified by its exact pixels. */
    private record FailOn(float[] target) implements ImageTransform {
        public ImageShape outputShape(ImageShape in) { return in; }

        public float[] apply(float[] src, ImageShape in, SplittableRandom rng) {
            if (Arrays.equals(src, target)) throw new IllegalArgumentException("boom: the poisoned image");
            return src;
        }
    }

    @Test
    void workerErrorSurfacesOnConsumerWithOriginalMessage() {
        try (ImageDataset ds = SyntheticShapes.generate("s", 40, 3)) {
            int[] third;
            try (BatchLoader l = BatchLoader.builder(ds).batchSize(8).seed(4).build()) {
                l.next();
                l.next();
                third = l.next().datasetIndices();
            }
            ImageShape shape = new ImageShape(1, 28, 28);
            float[] poisoned = ImagePipeline.of().apply(ds.pixelSegment(), 784L * third[3], shape, null);
            try (BatchLoader l = BatchLoader.builder(ds).batchSize(8).seed(4).workers(2)
                    .view(ImagePipeline.of(new FailOn(poisoned))).build()) {
                l.next();
                l.next();
                DataException e = assertThrows(DataException.class, l::next);
                assertTrue(e.getMessage().contains("boom: the poisoned image"), e.getMessage());
                assertTrue(e.getMessage().contains("batch 2"), e.getMessage());
                assertTrue(e.getCause() instanceof IllegalArgumentException);
            }
        }
    }

    @Test
    void releasedBatchRejectsUseAndCloseStopsWorkers() throws InterruptedException {
        try (ImageDataset ds = SyntheticShapes.generate("s", 40, 3)) {
            BatchLoader l = BatchLoader.builder(ds).batchSize(8).workers(2).prefetch(2).build();
            StagedBatch b = l.next();
            l.next();
            assertThrows(IllegalStateException.class, () -> b.images(0));
            Thread.sleep(50); // workers fill the ring and block on it
            assertFalse(l.workersStopped());
            l.close();
            assertTrue(l.workersStopped());
            assertThrows(IllegalStateException.class, l::next);
            l.close(); // idempotent
        }
    }
}
