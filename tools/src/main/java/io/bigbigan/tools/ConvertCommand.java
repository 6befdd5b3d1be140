package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.api.Bundle;
import io.bigbigan.nativelib.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true, description = {"Convert between training checkpoints, inference bundles and plain safetensors",
        "state dicts: checkpoint -> bundle (G and E only, EMA weights by default), bundle -> safetensors",
        "(PyTorch state-dict names, configuration in __metadata__), safetensors -> bundle.",
        "The output kind follows --to, else OUT's extension (.safetensors: state dict; anything else: bundle).",
        "Outputs are written atomically."},
        footer = {"", "Examples:", "  bigbigan convert runs/bigan-mlp-synthetic model.bundle",
                "  bigbigan convert model.bundle model.safetensors",
                "  bigbigan convert weights.safetensors model.bundle --preset bigan-mlp"})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Checkpoint (file, checkpoint or run folder), bundle or safetensors file.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output file.")
    Path out;

    @Option(names = "--to", description = "Output kind: bundle or safetensors (default: from OUT's extension).")
    String to;

    @Option(names = "--weights", defaultValue = "ema", description = {"From a checkpoint: ema (the moving averages, where",
            "the preset keeps them) or live weights (default: ${DEFAULT-VALUE})."})
    String weights;

    @Option(names = "--preset", description = "The preset of a safetensors file without bigbigan metadata (e.g. written by PyTorch).")
    String preset;

    @Option(names = "--image-size", defaultValue = "0", description = {"Side of the training images (default: from the",
            "checkpoint's data set or the file's metadata; 28 for the IDX data sets)."})
    int imageSize;

    @Override
    public Integer call() {
        Torch.load();
        var which = CheckpointOption.weights(weights);
        String target = to != null ? to.toLowerCase(Locale.ROOT)
                : out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors") ? "safetensors" : "bundle";
        if (!target.equals("bundle") && !target.equals("safetensors"))
            throw new OptionException("--to must be bundle or safetensors, got '" + to + "'");
        Outputs.file("OUT", out);
        Bundle.Kind kind = Bundle.detect(in);
        Bundle.Contents c = switch (kind) {
            case CHECKPOINT -> CheckpointBundles.fromCheckpoint(in, which, imageSize);
            case BUNDLE -> Bundle.read(in);
            case STATE_DICT -> Bundle.fromStateDict(in, preset == null ? null : CheckpointBundles.preset(preset), imageSize);
        };
        if (target.equals("bundle")) Bundle.write(out, c);
        else Bundle.exportStateDict(c, out);
        long bytes;
        try {
            bytes = Files.size(out);
        } catch (java.io.IOException e) {
            bytes = -1;
        }
        System.out.printf(Locale.ROOT, "wrote %s (%s, preset %s, %d tensors, %.2f MB) from %s %s%n", out, target,
                c.config().preset(), c.tensors().size(), bytes / 1e6, kind.name().toLowerCase(Locale.ROOT).replace('_', ' '), in);
        return 0;
    }
}
