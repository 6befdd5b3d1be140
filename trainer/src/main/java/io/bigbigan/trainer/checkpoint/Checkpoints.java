package io.bigbigan.trainer.checkpoint;

import io.bigbigan.bindings.Archives;
import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.FileErrors;
import io.bigbigan.bindings.SafetensorsException;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.trainer.config.EmaConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.bindings.Json;
import io.bigbigan.trainer.step.ComputeDevice;
import io.bigbigan.bindings.NonFiniteException;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.eval.TrainedModel;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.step.Trainers;
import io.bigbigan.trainer.step.Weights;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Training checkpoints, three files per step, each written atomically (temporary file, fsync, rename):
 * <ul>
 *   <li>{@code step-00001234.optim.pt} (a LibTorch archive): the Adam states ({@code FusedAdam}'s format; LibTorch's Adam archive of older checkpoints is read too), the private RNG states and the step;</li>
 *   <li>{@code step-00001234.safetensors}: every parameter and buffer under its PyTorch-style name
 *       ({@code G.fc1.weight}, {@code E.backbone.stem.weight}, {@code D.F.blocks.0.conv1.weight_u}, ...), with the run
 *       configuration, step, run settings, format version and provenance in the safetensors metadata
 *       ({@link CheckpointMetadata});</li>
 *   <li>{@code step-00001234.manifest.json}, written last: sizes and SHA-256 of the other two. A checkpoint is
 *       complete when its manifest exists and matches.</li>
 * </ul>
 * Format version 1 checkpoints (weights file only, bigan-mlp) keep loading for inference.
 *
 * <p>Failures: the optimiser archive is written through Java's file I/O ({@link Archives}), so a full disk or an
 * unwritable folder is an exception naming the file, never a process abort; a failed save removes what it wrote of
 * its step, so the previous checkpoint stays the newest. Every reader goes through {@link #resolve} (a file named
 * directly must match its manifest too) and refuses weights or optimiser states holding NaN/Inf
 * ({@link NonFiniteException}); {@link #save} refuses to write them.
 */
public final class Checkpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

    private static final Pattern NAME = Pattern.compile("step-(\\d+)\\.safetensors");

    private Checkpoints() {}

    /**
     * A trainer restored from a checkpoint's weights (optimiser state not loaded; see {@link #resume}).
     *
     * @param config   the configuration the trainer was built from ({@code meta}'s, without EMA when loaded with
     *                 live weights)
     * @param meta     the checkpoint's metadata, typed
     * @param model    the trained model as evaluation reads it ({@code trainer}'s {@link StepTrainer#inference}
     *                 view; fp32 unless {@link #inPrecision} chose otherwise)
     * @param metadata the same as stored in the file, every key (for display)
     */
    public record Loaded(Path file, RunConfig config, StepTrainer trainer, TrainedModel model, CheckpointMetadata meta,
                         Map<String, String> metadata) {
        /** The same checkpoint, its {@link #model} running G's and E's forward passes in {@code precision}. */
        public Loaded inPrecision(Precision precision) {
            return new Loaded(file, config, trainer, trainer.inference(precision), meta, metadata);
        }

        /** The checkpoint's step (completed training steps). */
        public long step() {
            return meta.step();
        }
    }

    /**
     * Writes a checkpoint of the trainer's current state into {@code dir}; returns the weights file.
     *
     * @param run what the run's batches depend on (recorded in the metadata; {@link RunSettings#NONE} for nothing)
     */
    public static Path save(Path dir, StepTrainer trainer, RunSettings run) {
        long step = trainer.stepCount();
        String stem = String.format("step-%08d", step);
        Map<String, Tensor> state = trainer.state();
        String bad = Tensors.firstNonFinite(state);
        for (var e : trainer.optimizers().entrySet()) {
            if (bad != null) break;
            String b = e.getValue().firstNonFinite();
            if (b != null) bad = "the optimiser state " + e.getKey() + " (" + b + ")";
        }
        if (bad != null)
            throw new NonFiniteException(bad + " is NaN or Inf at step " + step + "; no checkpoint written"
                    + newestNote(dir));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + stem + ": " + FileErrors.describe(dir, e), e);
        }
        Path optim = dir.resolve(stem + ".optim.pt");
        Path weights = dir.resolve(stem + ".safetensors");
        Path manifest = manifestOf(weights);
        Path current = optim;
        boolean touched = false;                 // whether this call replaced any of the step's files
        try {
            OutputArchive root = new OutputArchive();
            for (var e : trainer.optimizers().entrySet()) {
                OutputArchive a = new OutputArchive();
                e.getValue().save(a);
                root.write(e.getKey(), a);
            }
            for (var e : trainer.generators().entrySet()) root.write(e.getKey(), e.getValue().get_state());
            root.write("step", new IValue(step));
            Archives.save(root, optim);          // Java's file I/O: a full disk is an IOException, not an abort
            touched = true;

            current = weights;
            Safetensors.write(weights, state, CheckpointMetadata.current(trainer.config(), step, run).toMap());

            current = manifest;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", CheckpointMetadata.FORMAT);
            m.put("format_version", CheckpointMetadata.VERSION);
            m.put("step", step);
            m.put("files", Map.of(weights.getFileName().toString(), describe(weights),
                    optim.getFileName().toString(), describe(optim)));
            byte[] json = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
            AtomicFiles.writeStream(manifest, os -> os.write(json));
            return weights;
        } catch (IOException | RuntimeException e) {
            if (touched) {                       // no half checkpoint of this step: the previous one stays newest
                for (Path f : List.of(manifest, optim, weights)) {
                    try {
                        Files.deleteIfExists(f);
                    } catch (IOException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                }
            }
            String reason = e instanceof IOException io ? FileErrors.describe(current, io)
                    : e instanceof SafetensorsException ? oneLine(e) : current + ": " + oneLine(e);
            throw new UncheckedIOException("cannot write checkpoint " + stem + ": " + reason + newestNote(dir),
                    e instanceof IOException io ? io : new IOException(e.getMessage(), e));
        }
    }

    /** "; the newest complete checkpoint is NAME" (or that there is none), for messages about failed writes. */
    private static String newestNote(Path dir) {
        Path newest = newestComplete(dir);
        return newest == null ? "; there is no complete checkpoint in " + dir
                : "; the newest complete checkpoint is " + newest;
    }

    /** The newest checkpoint in {@code dir} that matches its manifest, or null (also when the folder is missing). */
    public static Path newestComplete(Path dir) {
        if (!Files.isDirectory(dir)) return null;
        try {
            List<Path> all = list(dir);
            for (int i = all.size() - 1; i >= 0; i--) if (verify(all.get(i)) == null) return all.get(i);
        } catch (RuntimeException e) {
            return null;
        }
        return null;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        return m.lines().findFirst().orElse("").strip();
    }

    /** Deletes all but the newest {@code keep} checkpoints in {@code dir} (and any of their files). */
    public static void prune(Path dir, int keep) {
        prune(dir, keep, -1);
    }

    /** Deletes all but the newest {@code keep} checkpoints, and never the one of step {@code protectedStep}. */
    public static void prune(Path dir, int keep, long protectedStep) {
        List<Path> all = list(dir);
        for (int i = 0; i < all.size() - keep; i++) {
            Path w = all.get(i);
            if (stepOf(w) == protectedStep) continue;
            try {
                Files.deleteIfExists(manifestOf(w));          // incomplete first, so a crash leaves no half-valid one
                Files.deleteIfExists(optimOf(w));
                Files.deleteIfExists(w);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete old checkpoint " + w + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Loads the model of a checkpoint on the CPU, with its EMA copies. {@code path} is a weights file, a checkpoint
     * folder or a run folder (then its {@code checkpoints/} sub-folder); in a folder the newest complete checkpoint
     * is taken.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static Loaded load(Path path) {
        return load(path, Weights.EMA, ComputeDevice.cpu());
    }

    /**
     * As {@link #load(Path)}, with the {@code weights} asked for, the trainer on {@code device}.
     *
     * @throws IllegalArgumentException when the checkpoint does not match its manifest (also when named directly)
     * @throws NonFiniteException       when a weight holds NaN or Inf
     */
    public static Loaded load(Path path, Weights weights, Device device) {
        return loadFile(resolve(path), null, weights, Trainers.Setup.seed(0).device(device), NonFinite.REFUSE);
    }

    /**
     * Loads a weights file without checking it against its manifest or for NaN/Inf (for {@code inspect}, which
     * reports both itself); everything else reads checkpoints through {@link #load}.
     */
    public static Loaded loadUnverified(Path file) {
        return loadFile(file, null, Weights.EMA, Trainers.Setup.seed(0), NonFinite.ALLOW);
    }

    /**
     * Loads the checkpoint {@code file} of a run to continue, whose metadata {@code meta} was read and checked already
     * (it is not parsed again): its weights (with the EMA copies) into a trainer built as {@code setup} says (its
     * device and memory format), then its optimiser and RNG states ({@link #restoreTrainingState}). A resume reads
     * checkpoints through here only.
     *
     * @throws IllegalArgumentException when the checkpoint is incomplete or does not fit its configuration
     * @throws NonFiniteException       when a weight or an optimiser state holds NaN or Inf
     */
    public static Loaded loadToResume(Path file, CheckpointMetadata meta, Trainers.Setup setup) {
        Loaded loaded = loadFile(file, meta, Weights.EMA, setup, NonFinite.REFUSE);
        restoreTrainingState(loaded);
        return loaded;
    }

    /** Whether a load refuses weights that hold NaN or Inf. */
    private enum NonFinite { REFUSE, ALLOW }

    /** {@code meta}: the file's metadata when already read, else null (read here). */
    private static Loaded loadFile(Path file, CheckpointMetadata meta, Weights weights, Trainers.Setup setup,
                                   NonFinite nonFinite) {
        var st = Safetensors.read(file);
        if (meta == null) meta = CheckpointMetadata.of(file, st.metadata());
        RunConfig config = meta.config();
        Map<String, Tensor> tensors = st.tensors();
        String bad = nonFinite == NonFinite.REFUSE ? Tensors.firstNonFinite(tensors) : null;
        if (bad != null)
            throw new NonFiniteException(file + ": tensor " + bad + " holds NaN or Inf; the checkpoint is damaged "
                    + "(a run that diverged, or corrupted data); use an earlier checkpoint");
        if (weights == Weights.LIVE && config.train().ema().enabled()) {
            config = config.withTrain(config.train().withEma(new EmaConfig(false, config.train().ema().decay(),
                    config.train().ema().startStep())));
            tensors = new LinkedHashMap<>(tensors);
            tensors.keySet().removeIf(k -> k.startsWith("G_ema.") || k.startsWith("E_ema."));
        }
        StepTrainer trainer = Trainers.create(config, setup);
        try {
            trainer.loadState(tensors);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        trainer.setStepCount(meta.step());
        return new Loaded(file, config, trainer, trainer.inference(), meta, st.metadata());
    }

    /**
     * Restores the optimiser and RNG states of the checkpoint whose weights {@code loaded} holds, so that training
     * continues exactly where it stopped.
     *
     * @throws IllegalArgumentException when the checkpoint is incomplete or does not fit the trainer
     */
    public static void restoreTrainingState(Loaded loaded) {
        Path optim = optimOf(loaded.file());
        if (!Files.isRegularFile(optim))
            throw new IllegalArgumentException(loaded.file() + ": no optimiser state beside it (" + optim.getFileName()
                    + "); it can be evaluated but not resumed");
        InputArchive root = new InputArchive();
        try {
            root.load_from(optim.toString(), new DeviceOptional(loaded.trainer().device()));   // Adam moments
            for (var e : loaded.trainer().optimizers().entrySet()) {
                InputArchive a = new InputArchive();
                root.read(e.getKey(), a);
                e.getValue().load(a);
            }
            for (var e : loaded.trainer().generators().entrySet()) {
                Tensor state = new Tensor();
                root.read(e.getKey(), state);
                e.getValue().set_state(state.cpu());          // generator states are host byte tensors
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(optim + ": cannot restore optimiser/RNG state: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
        for (var e : loaded.trainer().optimizers().entrySet()) {
            String bad = e.getValue().firstNonFinite();
            if (bad != null)
                throw new NonFiniteException(optim + ": optimiser state " + e.getKey() + " (" + bad + ") holds NaN, "
                        + "Inf or a negative second moment; the checkpoint is damaged, resuming would turn the weights "
                        + "into NaN; use an earlier checkpoint");
        }
    }

    /**
     * The newest complete checkpoint under a run or checkpoint folder, or the weights file itself. A file named
     * directly must match its manifest too: every command reads checkpoints through here (or {@link #load}).
     *
     * @throws IllegalArgumentException naming the file and the problem, or the folder without a complete checkpoint
     */
    public static Path resolve(Path path) {
        if (Files.isRegularFile(path)) {
            String problem = verify(path);
            if (problem != null)
                throw new IllegalArgumentException(path + ": does not match its manifest (" + problem + "); not using "
                        + "it (bigbigan inspect shows the details; name the run folder to take its newest complete checkpoint)");
            return path;
        }
        return locate(path);
    }

    /**
     * As {@link #resolve}, but a file named directly is returned unchecked (for {@code inspect}, which shows what is
     * wrong with it).
     */
    public static Path locate(Path path) {
        if (Files.isRegularFile(path)) return path;
        if (!Files.isDirectory(path))
            throw new IllegalArgumentException(path + ": no such checkpoint file or folder");
        Path dir = Files.isDirectory(path.resolve("checkpoints")) ? path.resolve("checkpoints") : path;
        List<Path> all = list(dir);
        if (all.isEmpty()) throw new IllegalArgumentException(dir + ": contains no step-*.safetensors checkpoint");
        List<String> rejected = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            String problem = verify(all.get(i));
            if (problem == null) {
                if (!rejected.isEmpty())
                    LOG.warn("skipped incomplete or corrupt checkpoints: {}", String.join("; ", rejected));
                return all.get(i);
            }
            rejected.add(problem);
        }
        throw new IllegalArgumentException(dir + ": no complete checkpoint: " + String.join("; ", rejected));
    }

    /**
     * Checkpoints that matched their manifest, by path, with the stamps of their files: a command that reads a
     * checkpoint several times (e.g. {@code --resume}) hashes it once.
     */
    private static final Map<Path, List<Object>> VERIFIED = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Checks a checkpoint against its manifest; returns null when complete, else the reason. A format-1 checkpoint
     * (no manifest, no optimiser file) is accepted when its weights file is readable.
     */
    public static String verify(Path weights) {
        Path manifest = manifestOf(weights);
        Path key = weights.toAbsolutePath().normalize();
        List<Object> stamp;
        try {
            stamp = List.of(stamp(weights), stamp(manifest), stamp(optimOf(weights)));
        } catch (IOException e) {
            stamp = null;
        }
        if (stamp != null && stamp.equals(VERIFIED.get(key))) return null;
        String problem = check(weights, manifest);
        if (problem == null && stamp != null && !stamp.contains(RECENT)) VERIFIED.put(key, stamp);
        return problem;
    }

    private static final String RECENT = "recently modified";

    /**
     * Size, modification time and file key (inode): a rewrite changes it, provided the file had not been modified
     * within the timestamp granularity before it was hashed (file systems stamp with a coarse clock), so a file
     * modified in the last two seconds is never remembered as verified.
     */
    private static String stamp(Path f) throws IOException {
        if (!Files.exists(f)) return "-";
        var a = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
        if (a.lastModifiedTime().toMillis() > System.currentTimeMillis() - 2000) return RECENT;
        return a.size() + "@" + a.lastModifiedTime().toInstant() + "#" + a.fileKey();
    }

    private static String check(Path weights, Path manifest) {
        try {
            if (!Files.exists(manifest)) {
                if (Files.exists(optimOf(weights))) return weights.getFileName() + ": no manifest (interrupted write)";
                Safetensors.readMetadata(weights);
                return null;
            }
            var files = Json.MAPPER.readTree(manifest.toFile()).get("files");
            if (files == null) return manifest.getFileName() + ": no file list";
            for (var it = files.fields(); it.hasNext(); ) {
                var e = it.next();
                Path f = weights.resolveSibling(e.getKey());
                if (!Files.isRegularFile(f)) return f.getFileName() + ": missing";
                var expected = e.getValue();
                if (Files.size(f) != expected.get("bytes").asLong())
                    return f.getFileName() + ": size " + Files.size(f) + " != " + expected.get("bytes").asLong() + " in manifest";
                if (!sha256(f).equals(expected.get("sha256").asText())) return f.getFileName() + ": checksum mismatch";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return weights.getFileName() + ": " + e.getMessage();
        }
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

    static Path optimOf(Path weights) {
        return weights.resolveSibling(weights.getFileName().toString().replace(".safetensors", ".optim.pt"));
    }

    static Path manifestOf(Path weights) {
        return weights.resolveSibling(weights.getFileName().toString().replace(".safetensors", ".manifest.json"));
    }

    private static Map<String, Object> describe(Path f) throws IOException {
        return Map.of("bytes", Files.size(f), "sha256", sha256(f));
    }

    /** SHA-256 of a file, hex. */
    public static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long stepOf(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
