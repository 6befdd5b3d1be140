package io.bigbigan.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.AdversarialNetworks;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.data.ClassFilter;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.eval.anomaly.AnomalyEvaluation;
import io.bigbigan.trainer.eval.anomaly.AnomalyScores;
import io.bigbigan.trainer.eval.anomaly.ScoreKind;
import io.bigbigan.trainer.report.AnomalySection;
import io.bigbigan.trainer.report.ImageGrid;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;

/** {@code evaluate --metrics anomaly}: the one-class protocol's options and run. */
final class AnomalyMetrics {
    @Option(names = "--anomaly-classes", paramLabel = "K,...", description = {"With --metrics anomaly: the classes held out",
            "of training (train --exclude-classes K), positives of AUROC/AUPRC on the test split."})
    String anomalyClasses;

    @Option(names = "--alpha", defaultValue = "0.1", description = "With --metrics anomaly: weight of feature in combined (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--anomaly-out", paramLabel = "DIR", description = {"With --metrics anomaly: write anomaly.json (figures",
            "and score histograms) and top-anomalies.png there; report --run RUN shows RUN/anomaly."})
    Path anomalyOut;

    /** Fails fast on the options (before the model loads). */
    Set<Integer> classes() {
        if (anomalyClasses == null) throw new OptionException("--metrics anomaly needs --anomaly-classes K (the held-out classes)");
        if (!(alpha >= 0 && alpha <= 1)) throw new OptionException("--alpha must be in [0, 1], got " + alpha);
        try {
            return ClassFilter.parseClasses(anomalyClasses, "--anomaly-classes");
        } catch (IllegalArgumentException e) {
            throw new OptionException(e.getMessage());
        }
    }

    /** Runs the protocol on the test split; returns the result for the table and the JSON. */
    AnomalyEvaluation.Result run(Checkpoints.Loaded loaded, DatasetSplits splits, int batch) throws IOException {
        var model = loaded.model();
        var scorer = new AnomalyScores(model, ((AdversarialNetworks) loaded.trainer().model()).discriminator(), alpha);
        var result = AnomalyEvaluation.run(scorer, splits, AnomalyEvaluation.Settings.of(classes(), scorer.supported(), batch));
        if (anomalyOut != null) {
            Files.createDirectories(anomalyOut);
            String best = result.rows().stream().filter(r -> ScoreKind.parseList("all").stream()
                            .anyMatch(k -> k.id().equals(r.name())))
                    .max(Comparator.comparingDouble(AnomalyEvaluation.Row::auroc)).orElseThrow().name();
            double[] s = result.scores().get(best);
            Integer[] idx = new Integer[s.length];
            for (int i = 0; i < idx.length; i++) idx[i] = i;
            Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> s[i]).reversed());
            long[] top = Arrays.stream(idx).limit(Math.min(32, idx.length)).mapToLong(i -> i).toArray();
            try (StepScope sc = StepScope.open()) {
                var pairs = EncoderFeatures.reconstructions(model, splits.test(), Tensors.ofLongs(top, top.length), batch);
                ImageGrid.writePairs(anomalyOut.resolve(AnomalySection.SHEET), pairs.images(), pairs.reconstructions(), 4,
                        ImageGrid.DEFAULT_PADDING, 2);
            }
            Map<String, Object> data = AnomalySection.withHistograms(result.data(), result.scores(), result.anomalous(), 30);
            data.put("sheet_score", best);
            data.put("sheet_labels", Arrays.stream(top).mapToInt(i -> splits.test().label((int) i)).boxed().toList());
            byte[] bytes = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(data);
            AtomicFiles.writeStream(anomalyOut.resolve(AnomalySection.JSON), os -> os.write(bytes));
            System.out.println("wrote " + anomalyOut.resolve(AnomalySection.JSON) + " and " + anomalyOut.resolve(AnomalySection.SHEET));
        }
        return result;
    }
}
