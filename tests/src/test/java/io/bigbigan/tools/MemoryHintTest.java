package io.bigbigan.tools;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running out of memory ends in one line that says which limit was hit and how to raise it. */
class MemoryHintTest {
    @Test
    void javacppsNativeCapNamesTheSettingToRaise() {
        String m = BigbiganCli.memoryHint(new OutOfMemoryError(
                "Physical memory usage is too high: physicalBytes (8192M) > maxPhysicalBytes (8192M)"));
        assertTrue(m.startsWith("native memory limit reached (Physical memory usage is too high"), m);
        assertTrue(m.contains("-Dorg.bytedeco.javacpp.maxPhysicalBytes=") && m.contains("--batch"), m);
        assertTrue(m.contains("--eval-batch"), "evaluation runs in chunks of --eval-batch, not --batch: " + m);
        assertTrue(!m.contains("\n"), m);
    }

    @Test
    void theJavaHeapNamesXmx() {
        String m = BigbiganCli.memoryHint(new OutOfMemoryError("Java heap space"));
        assertTrue(m.contains("Java heap space") && m.contains("-Xmx"), m);
    }
}
