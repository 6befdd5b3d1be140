package io.bigbigan.trainer.loop;

import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.trainer.step.StepTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a training run tells its listener, and the ms/step it reports for a resumed run. */
class RunProgressTest {
    @Test
    void everyStepReachesTheListenerAndAResumedRunCountsOnlyItsOwnSteps(@TempDir Path dir) {
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 64, 1),
                SyntheticShapes.generate("test", 16, 2))) {
            List<Long> done = new ArrayList<>(), logged = new ArrayList<>();
            TrainingRun.Listener listener = new TrainingRun.Listener() {
                @Override
                public void onStep(StepTrainer.StepMetrics m, double ips) {
                    logged.add(m.step());
                }

                @Override
                public void onStepDone(long step) {
                    done.add(step);
                }
            };
            var first = TrainingRun.run(CheckpointsTestConfigs.tiny(), data, TrainingRun.Options.of(dir, 5).seed(3).logEvery(2).listener(listener));
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), done, "a progress display hears of every step");
            assertEquals(List.of(2L, 4L, 5L), logged, "metrics at every --log-every step and the last");
            assertEquals(5, first.steps());
            assertTrue(first.msPerStep() > 0);

            done.clear();
            var resumed = TrainingRun.resume(TrainingRun.Resumable.find(dir), data, TrainingRun.Options.of(dir, 7).seed(3).logEvery(2).listener(listener));
            assertEquals(List.of(6L, 7L), done);
            assertEquals(2, resumed.steps(), "ms/step is over the 2 steps this call ran, not the checkpoint's 7");
            assertEquals(7, resumed.last().step());
            assertTrue(resumed.msPerStep() > 0);
        }
    }
}
