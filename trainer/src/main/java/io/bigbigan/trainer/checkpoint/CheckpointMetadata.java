package io.bigbigan.trainer.checkpoint;

import io.bigbigan.bindings.Safetensors;
import io.bigbigan.nativelib.Provenance;
import io.bigbigan.trainer.config.RunConfig;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metadata of a checkpoint's weights file (its safetensors {@code __metadata__}, string to string), typed: this
 * class owns every key, how it is written and read, and the checks a resume makes against it.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>component</th><th>written</th></tr>
 *   <tr><td>{@code data}, {@code seed}, {@code augment}, {@code train_images}, {@code test_images},
 *       {@code world_size}</td><td>{@link #run()}</td><td>when recorded; {@code augment} only when true,
 *       {@code world_size} only when above 1</td></tr>
 *   <tr><td>{@code format}, {@code format_version}</td><td>{@value #FORMAT}, {@link #formatVersion()}</td>
 *       <td>always</td></tr>
 *   <tr><td>{@code preset}, {@code step}, {@code config}</td><td>{@link #config()} (its JSON), {@link #step()}</td>
 *       <td>always</td></tr>
 *   <tr><td>{@code libtorch}, {@code javacpp_preset} (older files: {@code pytorch}), {@code bigbigan_version},
 *       {@code written_at}, {@code java}, {@code os}</td><td>{@link #provenance()}</td><td>always (older files
 *       lack some)</td></tr>
 * </table>
 * Checkpoints written before a key was recorded keep loading: a run setting they lack is not checked on resume, and a
 * provenance part they lack is null.
 *
 * @param formatVersion the checkpoint format version (this code writes {@value #VERSION}; 1: weights only, bigan-mlp)
 * @param step          completed training steps
 * @param config        the run configuration the model was built from
 * @param run           what the run's batches depended on ({@link RunSettings#NONE} when nothing was recorded)
 * @param provenance    which program wrote the file, and when
 */
public record CheckpointMetadata(int formatVersion, long step, RunConfig config, RunSettings run,
                                 Provenance provenance) {
    /** Metadata value of {@code format}. */
    public static final String FORMAT = "bigbigan-checkpoint";
    /** The format version this code writes; it reads versions up to this one. */
    public static final int VERSION = 2;

    private static final String FORMAT_KEY = "format";
    private static final String FORMAT_VERSION_KEY = "format_version";
    private static final String PRESET_KEY = "preset";
    private static final String STEP_KEY = "step";
    private static final String CONFIG_KEY = "config";
    private static final String DATA_KEY = "data";
    private static final String SEED_KEY = "seed";
    private static final String AUGMENT_KEY = "augment";
    private static final String TRAIN_IMAGES_KEY = "train_images";
    private static final String TEST_IMAGES_KEY = "test_images";
    private static final String WORLD_SIZE_KEY = "world_size";

    /** What a checkpoint of {@code config} at {@code step} written now records (format {@value #VERSION}). */
    public static CheckpointMetadata current(RunConfig config, long step, RunSettings run) {
        return new CheckpointMetadata(VERSION, step, config, run, Provenance.current());
    }

    /** The preset's name (from the configuration). */
    public String preset() {
        return config.preset();
    }

    /** The metadata as written into the weights file, in a stable order. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        if (run.data() != null) m.put(DATA_KEY, run.data());
        if (run.seed() != null) m.put(SEED_KEY, Long.toString(run.seed()));
        if (run.augment()) m.put(AUGMENT_KEY, "true");
        if (run.trainImages() != null) m.put(TRAIN_IMAGES_KEY, Long.toString(run.trainImages()));
        if (run.testImages() != null) m.put(TEST_IMAGES_KEY, Long.toString(run.testImages()));
        if (run.worldSize() > 1) m.put(WORLD_SIZE_KEY, Integer.toString(run.worldSize()));
        m.put(FORMAT_KEY, FORMAT);
        m.put(FORMAT_VERSION_KEY, Integer.toString(formatVersion));
        m.put(PRESET_KEY, config.preset());
        m.put(STEP_KEY, Long.toString(step));
        m.put(CONFIG_KEY, config.toJson());
        provenance.putInto(m);
        return m;
    }

    /**
     * Reads the metadata of a checkpoint's weights file (no tensors are read, nothing is verified against the
     * manifest: see {@link Checkpoints#resolve}).
     *
     * @throws IllegalArgumentException naming the file and what is wrong with its metadata
     */
    public static CheckpointMetadata read(Path file) {
        return of(file, Safetensors.readMetadata(file));
    }

    /**
     * Types the metadata {@code meta} read from {@code file}.
     *
     * @throws IllegalArgumentException naming the file when it is not a bigbigan checkpoint, is of a newer format,
     *                                  or holds an unreadable configuration or value
     */
    public static CheckpointMetadata of(Path file, Map<String, String> meta) {
        if (!FORMAT.equals(meta.get(FORMAT_KEY)))
            throw new IllegalArgumentException(file + ": not a bigbigan checkpoint (metadata 'format' is "
                    + meta.get(FORMAT_KEY) + ")");
        int version;
        try {
            version = Integer.parseInt(meta.getOrDefault(FORMAT_VERSION_KEY, "?"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": unreadable format_version '" + meta.get(FORMAT_VERSION_KEY)
                    + "'");
        }
        if (version > VERSION)
            throw new IllegalArgumentException(file + ": checkpoint format version " + version
                    + " is newer than this program reads (" + VERSION + "); upgrade bigbigan");
        RunConfig config;
        try {
            config = RunConfig.fromJson(meta.get(CONFIG_KEY), version);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": bad configuration in metadata: " + e.getMessage(), e);
        }
        long step = number(file, meta, STEP_KEY);
        String world = meta.get(WORLD_SIZE_KEY);
        RunSettings run = new RunSettings(meta.get(DATA_KEY), optionalNumber(file, meta, SEED_KEY),
                Boolean.parseBoolean(meta.get(AUGMENT_KEY)), optionalNumber(file, meta, TRAIN_IMAGES_KEY),
                optionalNumber(file, meta, TEST_IMAGES_KEY), world == null ? 1 : Math.toIntExact(number(file, meta,
                WORLD_SIZE_KEY)));
        return new CheckpointMetadata(version, step, config, run, Provenance.of(meta));
    }

    private static Long optionalNumber(Path file, Map<String, String> meta, String key) {
        return meta.containsKey(key) ? number(file, meta, key) : null;
    }

    private static long number(Path file, Map<String, String> meta, String key) {
        try {
            return Long.parseLong(meta.get(key));
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(file + ": unreadable " + key + " '" + meta.get(key) + "' in metadata");
        }
    }

    /**
     * Refuses a resume whose total {@code steps} does not go beyond this checkpoint's {@link #step}.
     *
     * @throws IllegalArgumentException saying so in one line
     */
    public void checkSteps(Path file, long steps) {
        if (steps <= step)
            throw new IllegalArgumentException("--resume: " + file + " is already at step " + step + ", nothing "
                    + "to train up to step " + steps + "; --steps is the total to reach, give more than " + step);
    }

    /**
     * Refuses to resume a run trained on another number of ranks than {@code ranks} (not recorded: 1).
     *
     * @throws IllegalArgumentException naming the checkpoint and the --nproc to use
     */
    public void checkRanks(Path file, int ranks) {
        int trained = run.worldSize();
        if (trained != ranks)
            throw new IllegalArgumentException("--resume: " + file + " was trained on " + trained
                    + " rank(s); resume it with --nproc " + trained + " (or --world-size " + trained + "), not "
                    + ranks + " (the data order and batch size depend on it)");
    }

    /**
     * Refuses to resume up to {@code steps} with another seed, augmentation setting or number of training images
     * than this checkpoint records ({@code given} holds the resumed run's): each would silently change the batches
     * from the resumed step on (the loader's shuffle and augmentations are drawn from the seed, the epoch and the
     * position). Settings the checkpoint does not record are not checked; ranks are {@link #checkRanks}'s.
     *
     * @throws IllegalArgumentException naming the option and the checkpoint's value
     */
    public void checkResumable(Path file, RunSettings given, long steps) {
        checkSteps(file, steps);
        Long seed = run.seed();
        if (seed != null && seed.longValue() != given.seed())
            throw new IllegalArgumentException("--resume: " + file + " was trained with --seed " + seed
                    + ", not " + given.seed() + " (the data order and augmentations depend on it); resume with --seed "
                    + seed + " or without --seed");
        boolean augmented = run.augment();
        if (augmented != given.augment())
            throw new IllegalArgumentException("--resume: " + file + " was trained "
                    + (augmented ? "with" : "without") + " --augment; resume it " + (augmented ? "with" : "without")
                    + " --augment (or leave the flag out to take the run's)");
        Long images = run.trainImages();
        if (images != null && images.longValue() != given.trainImages())
            throw new IllegalArgumentException("--resume: " + file + " was trained on " + images
                    + " training images, the data given has " + given.trainImages() + "; resume with the run's --data"
                    + " and --train-limit (or leave them out to take the run's)");
    }
}
