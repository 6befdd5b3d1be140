package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.eval.diagnostics.Diagnostics;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "diagnose", mixinStandardHelpOptions = true, description = {"Write diagnostic sheets of a trained model into a folder:",
        "iterated reconstructions R_{i+1} = G(E(R_i)) with the error per iteration, interpolations (data and prior),",
        "truncation rows, nearest training neighbours in encoder space, E's first-layer filters; plus",
        "diagnostics.json. `bigbigan report --diagnostics DIR` embeds them."},
        footer = {"", "Example:", "  bigbigan diagnose --checkpoint runs/bigan-mlp-synthetic --out diag"})
final class DiagnoseCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--out", required = true, description = "Output folder (created).")
    Path out;

    @Option(names = "--count", defaultValue = "8", description = "Images (rows) per sheet (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--iterations", defaultValue = "6", description = "Reconstruction iterations (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--neighbours", defaultValue = "8", description = "Nearest neighbours per query (default: ${DEFAULT-VALUE}).")
    int neighbours;

    @Option(names = "--truncations", defaultValue = "0,1.0,0.5,0.25", split = ",",
            description = "Truncation per row, 0 = none (default: ${DEFAULT-VALUE}).")
    List<Double> truncations;

    @Mixin
    EvalBatchOption evalBatch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (count < 1 || iterations < 1 || neighbours < 1)
            throw new OptionException("--count, --iterations and --neighbours must be at least 1");
        Outputs.folder("--out", out);
        common.apply();
        var opened = OpenedCheckpoint.open(checkpointOption, dataOptions, common);
        var loaded = opened.loaded();
        var model = opened.model();
        Files.createDirectories(out);
        ObjectNode j = io.bigbigan.bindings.Json.MAPPER.createObjectNode();
        j.put("checkpoint", loaded.file().toString()).put("step", loaded.step());
        try (DatasetSplits splits = opened.openData();
             StepScope s = StepScope.open()) {
            var test = splits.test();
            if (test.size() < 2L * count)
                throw new IllegalArgumentException("--count " + count + " needs " + 2 * count + " test images");
            Tensor pick = EncoderFeatures.reconstructionSubset(test, 2L * count);   // fixed random test images
            Tensor x = test.batch(pick.narrow(0, 0, count));                       // [N, C, H, W]
            Tensor x2 = test.batch(pick.narrow(0, count, count));
            double[] err = Diagnostics.iteratedReconstructions(model, x, iterations, out.resolve("iterated-reconstructions.png"));
            var arr = j.putArray("iterated_reconstruction_error");
            for (double e : err) arr.add(e);
            System.out.println("iterated reconstructions, mean ||R_i - x|| per iteration: "
                    + java.util.Arrays.stream(err).mapToObj(e -> String.format(Locale.ROOT, "%.3f", e)).toList());
            Diagnostics.interpolation(model, Diagnostics.encode(model, x), Diagnostics.encode(model, x2), 10,
                    out.resolve("interpolation-data.png"), evalBatch.get(model.config()));
            Generator g = torch.createCPUGenerator(common.seed);
            Diagnostics.interpolation(model, model.sampleLatent(count, g), model.sampleLatent(count, g), 10,
                    out.resolve("interpolation-prior.png"), evalBatch.get(model.config()));
            Diagnostics.truncation(model, truncations, 10, common.seed, out.resolve("truncation.png"));
            var t = j.putArray("truncation_rows");
            truncations.forEach(t::add);
            long[][] nn = Diagnostics.nearestNeighbours(model, x, splits.train(), neighbours,
                    out.resolve("nearest-neighbours.png"), evalBatch.get(model.config()));
            int same = 0;
            long[] queries = io.bigbigan.bindings.Tensors.toLongs(pick);
            for (int i = 0; i < nn.length; i++)
                for (long idx : nn[i]) if (splits.train().label((int) idx) == test.label((int) queries[i])) same++;
            j.put("nearest_neighbours_same_class", same / (double) (nn.length * neighbours));
            String filters = Diagnostics.firstLayerFilters(loaded.trainer().state(), test.channels(), test.height(),
                    test.width(), 64, out.resolve("filters.png"));
            j.put("filters_from", filters);
        }
        byte[] bytes = io.bigbigan.bindings.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(j).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.writeStream(out.resolve("diagnostics.json"), os -> os.write(bytes));
        System.out.println("wrote diagnostic sheets and diagnostics.json to " + out);
        return 0;
    }
}
