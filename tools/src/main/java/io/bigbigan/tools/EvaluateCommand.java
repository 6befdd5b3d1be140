package io.bigbigan.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderEvaluation;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.eval.RepresentationReport;
import io.bigbigan.trainer.eval.generation.GenerationMetrics;
import io.bigbigan.trainer.eval.generation.ImageFeatureExtractor;
import io.bigbigan.trainer.eval.generation.InceptionExtractor;
import io.bigbigan.trainer.eval.generation.ReferenceStatistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "evaluate", mixinStandardHelpOptions = true, description = {"Measure a trained model on the test split. Representation (default):",
        "1-NN/k-NN (k = 1, 5, 20, 200) and a linear classifier on frozen encoder features beside raw pixels.",
        "Generation: Fréchet distance and Inception(-style) Score of G(z) through Inception (--inception) or a",
        "domain classifier, beside the real train-vs-test floor. recon: reconstruction error vs baselines.",
        "anomaly: AUROC/AUPRC of every anomaly score (see score) with --anomaly-classes as positives, beside",
        "raw-pixel baselines (nearest normal training image; PCA error)."},
        footer = {"", "Examples:", "  bigbigan evaluate --checkpoint runs/bigan-mlp-synthetic",
                "  bigbigan evaluate --checkpoint RUN --data fashion-mnist --metrics fid,is,recon --samples 10000",
                "  bigbigan evaluate --checkpoint RUN --metrics fid --inception inception-2015-12-05.pt"})
final class EvaluateCommand implements Callable<Integer> {
    private static final Set<String> METRICS = Set.of("linear", "knn", "fid", "is", "recon", "anomaly");

    @Mixin
    CheckpointOption checkpointOption;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--metrics", defaultValue = "linear,knn", split = ",", description = {"Comma-separated: linear, knn,",
            "fid, is, recon, anomaly (default: ${DEFAULT-VALUE})."})
    List<String> metrics;

    @Option(names = "--knn-grid", description = "Also print k-NN with L2 and cosine, majority and distance-weighted votes.")
    boolean knnGrid;

    @Option(names = "--inception", paramLabel = "FILE", description = {"TorchScript Inception-v3",
            "(inception-2015-12-05.pt layout) for FID/IS; without it FD/IS use the domain classifier."})
    Path inception;

    @Option(names = "--samples", defaultValue = "10000",
            description = "Generated samples (and real images per split) for fid/is (default: ${DEFAULT-VALUE}).")
    int samples;

    @Mixin
    GenerationOptions generation;

    @Option(names = "--label-fractions", split = ",", paramLabel = "F", description = {"With linear/knn: the same",
            "classifiers again with only a seeded, class-balanced fraction of the training labels, for each F in (0, 1]",
            "(e.g. 0.01,0.1,1); raw pixels beside, as always."})
    List<Double> labelFractions = new java.util.ArrayList<>();

    @Option(names = "--out", description = "Also write the report to this file.")
    Path out;

    @Option(names = "--json", paramLabel = "FILE", description = {"Also write the figures as JSON to FILE: the tables",
            "as data with the extractor and sample counts of every figure (schema in docs/evaluation.md)."})
    Path json;

    @Mixin
    AnomalyMetrics anomaly;

    @Mixin
    EvalBatchOption evalBatch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        Set<String> wanted = new LinkedHashSet<>();
        for (String m : metrics) {
            String k = m.trim().toLowerCase(Locale.ROOT);
            if (!METRICS.contains(k))
                throw new OptionException("--metrics: unknown metric '" + m + "' (use linear, knn, fid, is, recon, anomaly)");
            wanted.add(k);
        }
        if (wanted.contains("anomaly")) anomaly.classes();                    // its options, before the load
        if (out != null) Outputs.file("--out", out);
        if (json != null) Outputs.file("--json", json);
        common.apply();
        ImageFeatureExtractor inceptionNet = inception == null ? null : InceptionExtractor.load(inception);
        var opened = OpenedCheckpoint.open(checkpointOption, dataOptions, common);
        var loaded = opened.loaded();
        String spec = opened.dataSpec();
        System.out.printf("evaluating %s (step %d, %s) on %s, %s%n", loaded.file(), loaded.step(), loaded.config().preset(),
                spec, loaded.model().precision().id());
        StringBuilder report = new StringBuilder();
        Map<String, Object> data = new LinkedHashMap<>();                    // --json: the same figures as data
        data.put("format", "bigbigan-evaluation");
        data.put("version", 1);
        data.put("checkpoint", loaded.file().toString());
        data.put("step", loaded.step());
        data.put("preset", loaded.config().preset());
        data.put("weights", checkpointOption.weights);
        data.put("data", spec);
        data.put("seed", common.seed);
        try (DatasetSplits splits = opened.openData()) {
            if (wanted.contains("linear") || wanted.contains("knn")) {
                var r = EncoderEvaluation.evaluate(loaded.model(), splits, common.seed,
                        EncoderEvaluation.Options.defaults().knn(wanted.contains("knn")).linear(wanted.contains("linear"))
                                .knnGrid(knnGrid).progress(System.err::println).batch(evalBatch.get(loaded.config()))
                                .labelFractions(labelFractions));
                report.append(String.format(Locale.ROOT, "representation (%d train images, %d test images; test accuracy)%n",
                        splits.train().size(), splits.test().size()));
                report.append(r.table());
                if (knnGrid) report.append('\n').append(r.gridTable());
                Map<String, Object> rep = new LinkedHashMap<>();
                rep.put("train_images", splits.train().size());
                rep.put("test_images", splits.test().size());
                rep.put("rows", r.data());
                for (var f : r.labelFractions()) report.append('\n').append(f.table());
                if (!r.labelFractions().isEmpty())
                    rep.put("label_fractions", r.labelFractions().stream().map(EncoderEvaluation.LabelFraction::data).toList());
                data.put("representation", rep);
            }
            if (wanted.contains("recon")) {
                var err = EncoderFeatures.reconstructionError(loaded.model(), splits.test(),
                        EncoderFeatures.RECONSTRUCTION_IMAGES, evalBatch.get(loaded.trainer().config()));
                report.append(String.format(Locale.ROOT, "reconstruction (%d random test images): ||x - G(E(x))|| %.3f;"
                        + " mismatched ||x - G(E(x'))|| %.3f; random pairs ||x - x'|| %.3f%n", err.images(),
                        err.recon(), err.mismatched(), err.randomPair()));
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("test_images", err.images());
                rec.put("recon", RepresentationReport.finite(err.recon()));
                rec.put("mismatched", RepresentationReport.finite(err.mismatched()));
                rec.put("random_pair", RepresentationReport.finite(err.randomPair()));
                data.put("reconstruction", rec);
            }
            if (wanted.contains("anomaly")) {
                var r = anomaly.run(loaded, splits, evalBatch.get(loaded.trainer().config()));
                report.append(r.table());
                data.put("anomaly", r.data());
            }
            if (wanted.contains("fid") || wanted.contains("is")) {
                if (samples < 10) throw new OptionException("--samples must be at least 10, got " + samples);
                List<ImageFeatureExtractor> extractors = new ArrayList<>();
                if (inceptionNet != null) extractors.add(inceptionNet);
                else extractors.add(generation.classifier(spec, splits, common.seed));
                ReferenceStatistics cache = new ReferenceStatistics(generation.cacheRoot().resolve("refstats"));
                List<Map<String, Object>> gen = new ArrayList<>();
                for (ImageFeatureExtractor ex : extractors) {
                    var r = GenerationMetrics.run(loaded.model(), splits, spec, ex, samples, cache,
                            wanted.contains("is"), common.seed, System.out::println, evalBatch.get(loaded.trainer().config()));
                    report.append(r.table());
                    gen.add(r.data());
                }
                data.put("generation", gen);
            }
        }
        System.out.print(report);
        if (out != null) writeReport(out, report.toString());
        if (json != null) {
            writeReport(json, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(data));
            System.out.println("wrote " + json);
        }
        return 0;
    }

    static void writeReport(Path file, String text) throws IOException {
        AtomicFiles.writeStream(file, os -> os.write((text + "\n").getBytes(StandardCharsets.UTF_8)));
    }
}
