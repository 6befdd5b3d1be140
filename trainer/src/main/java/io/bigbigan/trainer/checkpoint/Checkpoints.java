package io.bigbigan.trainer.checkpoint;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.model.mlp.BiganMlp;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.run.BiganTrainer;
import org.bytedeco.pytorch.OutputArchive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Training checkpoints: {@code step-00001234.safetensors} holds every parameter and buffer under its PyTorch-style
 * name ({@code G.fc1.weight}, {@code E.bn2.running_mean}, ...) with the run configuration, step and format version in
 * the safetensors metadata; {@code step-00001234.optim.pt} (a LibTorch archive) holds the Adam states and the latent
 * generator's state. Both are written atomically, the optimiser file first, so a weights file is only ever seen
 * complete.
 */
public final class Checkpoints {
    /** Metadata value of {@code format}. */
    public static final String FORMAT = "bigbigan-checkpoint";
    /** The format version this code writes; it reads versions up to this one. */
    public static final int VERSION = 1;

    private static final Pattern NAME = Pattern.compile("step-(\\d+)\\.safetensors");

    private Checkpoints() {}

    /** A model restored from a checkpoint. */
    public record Loaded(Path file, RunConfig config, long step, BiganMlp model, Map<String, String> metadata) {}

    /**
     * Writes a checkpoint of the trainer's current state into {@code dir}; returns the weights file.
     *
     * @param extra further metadata (e.g. {@code data}: the dataset it was trained on)
     */
    public static Path save(Path dir, BiganTrainer trainer, Map<String, String> extra) {
        try {
            Files.createDirectories(dir);
            String stem = String.format("step-%08d", trainer.stepCount());
            Path optim = dir.resolve(stem + ".optim.pt");
            Path tmp = dir.resolve("." + stem + ".optim.pt.tmp");
            OutputArchive root = new OutputArchive();
            OutputArchive d = new OutputArchive(), g = new OutputArchive(), e = new OutputArchive();
            trainer.optimizerD().save(d);
            trainer.optimizerG().save(g);
            trainer.optimizerE().save(e);
            root.write("optD", d);
            root.write("optG", g);
            root.write("optE", e);
            root.write("latent_rng", trainer.latentGenerator().get_state());
            root.save_to(tmp.toString());
            Files.move(tmp, optim, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

            Path weights = dir.resolve(stem + ".safetensors");
            Safetensors.write(weights, Modules.state(trainer.model()), metadata(trainer.config(), trainer.stepCount(), extra));
            return weights;
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write checkpoint in " + dir + ": " + ex.getMessage(), ex);
        }
    }

    /** The metadata stored beside the weights. */
    static Map<String, String> metadata(RunConfig config, long step, Map<String, String> extra) {
        Map<String, String> m = new LinkedHashMap<>(extra);
        m.put("format", FORMAT);
        m.put("format_version", Integer.toString(VERSION));
        m.put("preset", config.preset());
        m.put("step", Long.toString(step));
        m.put("config", config.toJson());
        m.put("pytorch", Torch.info().pytorchVersion());
        return m;
    }

    /**
     * Loads the model of a checkpoint. {@code path} is a weights file, a checkpoint folder or a run folder (then its
     * {@code checkpoints/} sub-folder); in a folder the newest checkpoint is taken.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static Loaded load(Path path) {
        Path file = resolve(path);
        var st = Safetensors.read(file);
        Map<String, String> meta = st.metadata();
        if (!FORMAT.equals(meta.get("format")))
            throw new IllegalArgumentException(file + ": not a bigbigan checkpoint (metadata 'format' is "
                    + meta.get("format") + ")");
        int version;
        try {
            version = Integer.parseInt(meta.getOrDefault("format_version", "?"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": unreadable format_version '" + meta.get("format_version") + "'");
        }
        if (version > VERSION)
            throw new IllegalArgumentException(file + ": checkpoint format version " + version
                    + " is newer than this program reads (" + VERSION + "); upgrade bigbigan");
        RunConfig config;
        try {
            config = RunConfig.fromJson(meta.get("config"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": bad configuration in metadata: " + e.getMessage(), e);
        }
        if (!(config.model() instanceof io.bigbigan.model.mlp.BiganMlpConfig mlp))
            throw new IllegalArgumentException(file + ": preset " + config.preset()
                    + " checkpoints cannot be loaded by this version (bigan-mlp only)");
        BiganMlp model = new BiganMlp(mlp);
        try {
            Modules.copyState(st.tensors(), model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        model.eval();
        return new Loaded(file, config, Long.parseLong(meta.get("step")), model, meta);
    }

    /** The newest checkpoint under a run or checkpoint folder, or the file itself. */
    public static Path resolve(Path path) {
        if (Files.isRegularFile(path)) return path;
        if (!Files.isDirectory(path))
            throw new IllegalArgumentException(path + ": no such checkpoint file or folder");
        Path dir = Files.isDirectory(path.resolve("checkpoints")) ? path.resolve("checkpoints") : path;
        List<Path> all = list(dir);
        if (all.isEmpty()) throw new IllegalArgumentException(dir + ": contains no step-*.safetensors checkpoint");
        return all.getLast();
    }

    /** Checkpoint weight files in {@code dir}, oldest step first. */
    public static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .sorted((a, b) -> Long.compare(stepOf(a), stepOf(b))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    private static long stepOf(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
