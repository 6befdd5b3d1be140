package io.bigbigan.tools;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plain progress lines (output not a terminal): every 10%, and never more than 30 s apart, on a hand-driven clock. */
class ProgressTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private void at(long seconds) {
        now.set(1_000_000_000L + TimeUnit.SECONDS.toNanos(seconds));
    }

    private List<String> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void aLineAtLeastEveryThirtySecondsAndAtEveryTenth() {
        try (Progress p = Progress.plain("train", 0, 1000, new PrintStream(bytes, true, StandardCharsets.UTF_8), now::get,
                TimeUnit.SECONDS.toNanos(Progress.QUIET_SECONDS))) {
            at(29);
            p.tick();
            assertEquals(0, lines().size(), "quiet for 29 s");
            at(30);
            p.tick();                                  // before the first step finished: still a sign of life
            assertEquals(List.of("train   0% 0/1000 elapsed 0:00:30 eta -"), lines());
            at(45);
            p.update(1);                               // a step between two logged steps: no line yet
            at(59);
            p.tick();
            assertEquals(1, lines().size());
            at(60);
            p.tick();
            assertEquals("train   0% 1/1000 elapsed 0:01:00 eta 16:39:00", lines().get(1));
            at(61);
            p.update(50, " D 0.500 EG 1.000");         // a logged step: its message is kept for later lines
            assertEquals(2, lines().size());
            at(91);
            p.update(51);
            assertEquals("train   5% 51/1000 elapsed 0:01:31 eta 0:28:13 D 0.500 EG 1.000", lines().get(2));
            at(92);
            p.update(100);                             // 10%: a line whatever the clock says
            assertTrue(lines().get(3).startsWith("train  10% 100/1000 elapsed 0:01:32"), lines().get(3));
            at(93);
            p.update(1000);
            assertTrue(lines().get(4).startsWith("train 100% 1000/1000"), lines().get(4));
            assertEquals(5, lines().size());
        }
    }

    @Test
    void aResumedRunsEtaCountsOnlyTheStepsDoneSinceItStarted() {
        try (Progress p = Progress.plain("train", 600, 1000, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                now::get, TimeUnit.SECONDS.toNanos(Progress.QUIET_SECONDS))) {
            at(10);
            p.update(610);                             // 60% was passed before: no line for it
            assertEquals(0, lines().size());
            at(40);
            p.tick();
            assertEquals(List.of("train  61% 610/1000 elapsed 0:00:40 eta 0:26:00"), lines());
            at(41);
            p.update(700);
            assertEquals("train  70% 700/1000 elapsed 0:00:41 eta 0:02:03", lines().get(1));
        }
    }
}
