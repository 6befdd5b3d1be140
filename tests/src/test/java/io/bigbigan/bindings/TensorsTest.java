package io.bigbigan.bindings;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TensorsTest {
    @Test
    void roundTripAndMatmul() {
        try (StepScope s = StepScope.open()) {
            Tensor x = Tensors.of(new float[]{1, 2, 3, 4}, 2, 2);
            assertArrayEquals(new long[]{2, 2}, Tensors.shape(x));
            assertArrayEquals(new float[]{7, 10, 15, 22}, Tensors.toFloats(x.matmul(x)));
            // transposed views are read in logical order
            assertArrayEquals(new float[]{1, 3, 2, 4}, Tensors.toFloats(x.t()));
            assertArrayEquals(new long[]{3, 4}, Tensors.toLongs(Tensors.ofLongs(new long[]{3, 4}, 2)));
        }
    }

    @Test
    void wrongCountIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Tensors.of(new float[3], 2, 2));
    }
}
