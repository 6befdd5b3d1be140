package io.bigbigan.trainer.data;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDatasetTest {
    @Test
    void batchGathersScaledImages() {
        try (ImageDataset ds = SyntheticShapes.generate("b", 50, 1); StepScope s = StepScope.open()) {
            Tensor idx = Tensors.ofLongs(new long[]{49, 3, 3, 0}, 4);
            Tensor batch = ds.batch(idx);                                 // float [4, 1, 28, 28]
            assertArrayEquals(new long[]{4, 1, 28, 28}, Tensors.shape(batch));
            assertEquals(torch.ScalarType.Float, batch.scalar_type().intern());
            assertTrue(torch.equal(batch, ds.all().index_select(0, idx)));
            Tensor bytes = ds.images().index_select(0, idx).to(torch.ScalarType.Float); // [4, 1, 28, 28]
            assertTrue(torch.allclose(batch.mul(Tensors.scalar(255)), bytes));
        }
    }

    @Test
    void batchRejectsNonInt64Indices() {
        try (ImageDataset ds = SyntheticShapes.generate("b", 10, 1); StepScope s = StepScope.open()) {
            Tensor floats = Tensors.of(new float[]{0, 1}, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ds.batch(floats));
            assertTrue(e.getMessage().contains("1-D int64"), e.getMessage());
        }
    }

    @Test
    void subsetIsAnIndependentCopy() {
        ImageDataset parent = SyntheticShapes.generate("parent", 40, 2);
        try (ImageDataset sub = parent.subset(10, 5); StepScope s = StepScope.open()) {
            assertEquals(5, sub.size());
            Tensor expected = parent.images().narrow(0, 10, 5).clone();   // uint8 [5, 1, 28, 28]
            long[] expectedLabels = Tensors.toLongs(parent.labels().narrow(0, 10, 5));
            parent.close();
            assertTrue(torch.equal(expected, sub.images()));
            assertArrayEquals(expectedLabels, Tensors.toLongs(sub.labels()));
            assertEquals(sub.label(0), (int) expectedLabels[0]);
            assertThrows(IndexOutOfBoundsException.class, () -> sub.subset(3, 3));
        }
    }

    @Test
    void closedDatasetRefusesAccess() {
        ImageDataset ds = SyntheticShapes.generate("c", 10, 3);
        ds.close();
        ds.close(); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, ds::images);
        assertTrue(e.getMessage().startsWith("c: "), e.getMessage());
        assertThrows(IllegalStateException.class, ds::labels);
    }

    @Test
    void labelsOwnTheirMemory() {
        ImageDataset ds = SyntheticShapes.generate("l", 20, 4);
        try (StepScope s = StepScope.open()) {
            Tensor labels = ds.labels();                                  // int64 [20]
            Tensor all = ds.all();                                        // float [20, 1, 28, 28]
            float sum = all.sum().item_float();
            ds.close();
            assertEquals(torch.ScalarType.Long, labels.scalar_type().intern());
            assertEquals(90, labels.sum().item_long()); // labels cycle 0..9 twice: 2 * 45
            assertEquals(sum, all.sum().item_float());
        }
    }
}
