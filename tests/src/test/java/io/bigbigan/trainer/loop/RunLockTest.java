package io.bigbigan.trainer.loop;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One writer per run folder: a second one is refused with the holder's pid; a killed holder's lock blocks nobody. */
class RunLockTest {
    @TempDir
    Path dir;

    /** A child process that takes the lock of args[0], says so, and holds it until killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            RunLock lock = RunLock.acquire(Path.of(args[0]));
            System.out.println("locked " + ProcessHandle.current().pid());
            System.out.flush();
            Thread.sleep(600_000);
            lock.close();
        }
    }

    @Test
    void anotherProcessIsRefusedWithTheHoldersPidAndAKilledHolderBlocksNobody() throws Exception {
        Path run = dir.resolve("run");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                run.toString()).redirectErrorStream(true).start();
        try {
            var out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertEquals("locked " + holder.pid(), line);
            var e = assertThrows(RunLock.InUseException.class, () -> RunLock.acquire(run));
            assertEquals(holder.pid(), e.holder());
            assertTrue(e.getMessage().contains(run + " is in use by another bigbigan process (pid " + holder.pid() + ")"),
                    e.getMessage());
        } finally {
            holder.destroyForcibly();                     // SIGKILL: the lock file stays, naming a dead process
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(Files.readString(run.resolve(RunLock.FILE)).startsWith(Long.toString(holder.pid())));
        try (RunLock lock = RunLock.acquire(run)) {       // the stale lock does not block
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(run.resolve(RunLock.FILE)));
        }
    }

    @Test
    void aSecondLockInTheSameProcessIsRefusedAndTheFirstIsReleasedOnClose() {
        try (RunLock first = RunLock.acquire(dir)) {
            var e = assertThrows(RunLock.InUseException.class, () -> RunLock.acquire(dir));
            assertEquals(ProcessHandle.current().pid(), e.holder());
        }
        RunLock.acquire(dir).close();
    }

    @Test
    void anEarlierRunIsRecognisedAndEmptiedButTheLockStays() throws Exception {
        assertNull(RunLock.existingRun(dir.resolve("missing")));
        Files.writeString(dir.resolve("notes.txt"), "mine");
        assertNull(RunLock.existingRun(dir));
        Files.createDirectories(dir.resolve("checkpoints"));
        Files.writeString(dir.resolve("checkpoints/step-00000004.safetensors"), "x");
        Files.writeString(dir.resolve("checkpoints/step-00000012.json"), "x");
        Files.writeString(dir.resolve("metrics.jsonl"), "{}\n");
        assertEquals("a run (checkpoints up to step 12)", RunLock.existingRun(dir));
        try (RunLock lock = RunLock.acquire(dir)) {
            lock.emptyFolder(dir);
            try (var s = Files.list(dir)) {
                assertEquals(List.of(dir.resolve(RunLock.FILE)), s.toList());
            }
        }
        Files.writeString(dir.resolve("metrics.jsonl"), "{}\n");
        assertEquals("a run (metrics.jsonl)", RunLock.existingRun(dir));
    }
}
