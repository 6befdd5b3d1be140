package io.bigbigan.bindings;

import io.bigbigan.bindings.MultiTensorOps.TensorList;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The multi-tensor kernels reached through TorchScript, against values computed by hand. */
class MultiTensorOpsTest {
    @Test
    void normsPerTensor() {
        Tensor a = Tensors.of(new float[]{3f, -4f}, 2), b = Tensors.of(new float[]{1f, 2f, -2f, 0f}, 2, 2);
        Tensor nan = Tensors.of(new float[]{1f, Float.NaN}, 2), inf = Tensors.of(new float[]{Float.NEGATIVE_INFINITY}, 1);
        try (StepScope s = StepScope.open()) {
            TensorList list = TensorList.of(List.of(a, b, nan, inf));
            float[] two = Tensors.toFloats(MultiTensorOps.norms(list, 2));
            assertEquals(5f, two[0], 1e-6f);
            assertEquals(3f, two[1], 1e-6f);
            assertTrue(Float.isNaN(two[2]));
            float[] max = Tensors.toFloats(MultiTensorOps.norms(list, Double.POSITIVE_INFINITY));
            assertArrayEquals(new float[]{4f, 2f}, new float[]{max[0], max[1]});
            assertTrue(Float.isNaN(max[2]), "NaN propagates through the max norm");
            assertEquals(Float.POSITIVE_INFINITY, max[3]);
        }
    }

    @Test
    void lerpAndCopyInPlace() {
        Tensor x = Tensors.of(new float[]{0f, 10f}, 2), y = Tensors.of(new float[]{4f}, 1);
        Tensor ex = Tensors.of(new float[]{2f, 2f}, 2), ey = Tensors.of(new float[]{0f}, 1);
        TensorList selves = TensorList.of(List.of(x, y)), ends = TensorList.of(List.of(ex, ey));
        MultiTensorOps.lerp(selves, ends, 0.25);                      // x + 0.25 (end - x)
        assertArrayEquals(new float[]{0.5f, 8f}, Tensors.toFloats(x));
        assertArrayEquals(new float[]{3f}, Tensors.toFloats(y));
        MultiTensorOps.copy(selves, ends);
        assertArrayEquals(new float[]{2f, 2f}, Tensors.toFloats(x));
        assertArrayEquals(new float[]{0f}, Tensors.toFloats(y));
        assertThrows(IllegalArgumentException.class, () -> MultiTensorOps.copy(selves, TensorList.of(List.of(ex))));
    }
}
