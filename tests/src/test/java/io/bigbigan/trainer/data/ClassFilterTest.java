package io.bigbigan.trainer.data;

import io.bigbigan.bindings.StepScope;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train --normal-classes / --exclude-classes: which images stay, their pixels and labels, and bad lists. */
class ClassFilterTest {
    @Test
    void keepsTheNamedClassesWithTheirPixels() {
        try (ImageDataset data = SyntheticShapes.generate("s", 100, 9);
             ImageDataset without = new ClassFilter(Set.of(3), true).apply(data, "--exclude-classes");
             ImageDataset only = new ClassFilter(Set.of(1, 2), false).apply(data, "--normal-classes");
             StepScope s = StepScope.open()) {
            assertEquals(90, without.size());                                           // labels cycle 0..9
            assertEquals(20, only.size());
            assertEquals(data.classNames(), without.classNames());
            int j = 0;
            for (int i = 0; i < data.size(); i++) {
                if (data.label(i) == 3) continue;
                assertEquals(data.label(i), without.label(j));
                assertTrue(data.batch(i, i + 1).equal(without.batch(j, j + 1)), "image " + i);
                j++;
            }
            for (int i = 0; i < only.size(); i++) assertTrue(only.label(i) == 1 || only.label(i) == 2);
            assertEquals(0, without.classCounts()[3]);
        }
    }

    @Test
    void refusesBadLists() {
        var e = assertThrows(IllegalArgumentException.class, () -> ClassFilter.parseClasses("1,x", "--normal-classes"));
        assertEquals("--normal-classes: 'x' is not a class index (0, 1, ...)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClassFilter.parseClasses("-1", "--exclude-classes"));
        assertEquals(Set.of(0, 4), ClassFilter.parseClasses(" 4, 0 ,4", "--normal-classes"));
        try (ImageDataset data = SyntheticShapes.generate("s", 20, 9)) {
            var missing = assertThrows(IllegalArgumentException.class,
                    () -> new ClassFilter(Set.of(12), false).apply(data, "--normal-classes"));
            assertTrue(missing.getMessage().startsWith("--normal-classes: class 12 does not exist in s (classes 0..9:"),
                    missing.getMessage());
            var none = assertThrows(IllegalArgumentException.class, () -> new ClassFilter(
                    Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), true).apply(data, "--exclude-classes"));
            assertEquals("--exclude-classes: no image of s is left", none.getMessage());
        }
    }
}
