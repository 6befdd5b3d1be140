package io.bigbigan.bindings;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nested scopes release a phase's tensors when it ends; exported results live until the enclosing scope closes. */
class StepScopeTest {
    @Test
    void anExportedTensorOutlivesItsScopeAndDiesWithTheEnclosingOne() {
        Tensor kept, dropped;
        try (StepScope outer = StepScope.open()) {
            try (StepScope inner = StepScope.open()) {
                dropped = Tensors.of(new float[]{1, 2}, 2);
                kept = inner.export(Tensors.of(new float[]{3, 4}, 2).mul(dropped));
            }
            assertTrue(dropped.isNull(), "not exported: released with the inner scope");
            assertFalse(kept.isNull());
            assertArrayEquals(new float[]{3, 8}, Tensors.toFloats(kept));
        }
        assertTrue(kept.isNull(), "released with the enclosing scope");
    }

    @Test
    void exportingATensorTheCallerOwnsLeavesItToTheCaller() {
        Tensor mine = Tensors.of(new float[]{7, 8}, 2);                  // in no scope: the caller's
        Tensor handle;
        try (StepScope outer = StepScope.open()) {
            try (StepScope inner = StepScope.open()) {
                handle = inner.export(mine);
            }
            assertArrayEquals(new float[]{7, 8}, Tensors.toFloats(handle));
        }
        assertTrue(handle.isNull(), "the handle goes with the enclosing scope");
        assertFalse(mine.isNull(), "the caller's tensor stays");
        assertArrayEquals(new float[]{7, 8}, Tensors.toFloats(mine));
        mine.close();
    }

    @Test
    void withoutAnEnclosingScopeExportKeepsTheTensorForTheCaller() {
        Tensor t;
        try (StepScope s = StepScope.open()) {
            t = s.export(Tensors.of(new float[]{5}, 1));
        }
        assertFalse(t.isNull());
        assertArrayEquals(new float[]{5}, Tensors.toFloats(t));
        StepScope.release(t);
        assertTrue(t.isNull());
    }
}
