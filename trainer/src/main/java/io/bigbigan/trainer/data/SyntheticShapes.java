package io.bigbigan.trainer.data;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * An embedded data set that needs no files: 28x28 grayscale images of ten shape classes, each drawn at a random
 * position (over most of the image, so that raw pixels classify poorly), scale, small rotation (any rotation for the
 * bar), stroke width, contrast and background, plus Gaussian pixel noise. Shapes are rasterised anti-aliased from
 * signed-distance functions.
 *
 * <p>Generation is deterministic: image {@code i} of seed {@code s} depends only on {@code (s, i)} (its own
 * {@link SplittableRandom}), so images are generated in parallel, straight into native memory, and a data set of
 * {@code n} images is a prefix of one of {@code m > n} images with the same seed. Labels cycle through the classes
 * ({@code label = i % 10}), so every prefix is balanced.
 */
public final class SyntheticShapes {
    /** Image side in pixels. */
    public static final int SIDE = 28;
    /** Default size of the training split. */
    public static final int DEFAULT_TRAIN_SIZE = 12_000;
    /** Default size of the test split. */
    public static final int DEFAULT_TEST_SIZE = 3_000;
    /** Seed of the default training split. */
    public static final long TRAIN_SEED = 20_240_001L;
    /** Seed of the default test split (disjoint from the training split's). */
    public static final long TEST_SEED = 20_240_002L;
    /** Class names, indexed by label. */
    public static final List<String> CLASS_NAMES = List.of("disk", "ring", "square", "square outline", "triangle",
            "plus", "x-cross", "bar", "diamond outline", "arc");

    private static final int BAR = 7;
    private static final double MAX_TILT = Math.toRadians(15); // keeps plus/x-cross and square/diamond apart
    private static final double SQRT3 = Math.sqrt(3);
    private static final double DIAG = Math.sqrt(0.5);

    private SyntheticShapes() {}

    /** The default training split: {@value #DEFAULT_TRAIN_SIZE} images, seed {@link #TRAIN_SEED}. */
    public static ImageDataset train() {
        return generate("synthetic/train", DEFAULT_TRAIN_SIZE, TRAIN_SEED);
    }

    /** The default test split: {@value #DEFAULT_TEST_SIZE} images, seed {@link #TEST_SEED}. */
    public static ImageDataset test() {
        return generate("synthetic/test", DEFAULT_TEST_SIZE, TEST_SEED);
    }

    /** Generates {@code count} labelled images {@code [count, 1, 28, 28]} from {@code seed}. */
    public static ImageDataset generate(String name, int count, long seed) {
        if (count <= 0) throw new IllegalArgumentException(name + ": count must be positive, got " + count);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment pixels = arena.allocate((long) count * SIDE * SIDE, 64); // uint8 [N, 1, 28, 28]
            MemorySegment labels = arena.allocate(ValueLayout.JAVA_LONG, count);   // int64 [N]
            long seedHash = mix(seed);
            IntStream.range(0, count).parallel().forEach(i -> {
                int label = i % CLASS_NAMES.size();
                labels.setAtIndex(ValueLayout.JAVA_LONG, i, label);
                MemorySegment image = pixels.asSlice((long) i * SIDE * SIDE, SIDE * SIDE);
                render(image, label, new SplittableRandom(mix(seedHash + i)));
            });
            return new ImageDataset(name, arena, pixels, labels, count, 1, SIDE, SIDE, CLASS_NAMES);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * One clean image per class, in label order: centred, radius 9 px, upright, 2 px strokes, no background or
     * noise. Useful to look at the classes and to check that they are distinct.
     */
    public static ImageDataset prototypes() {
        int n = CLASS_NAMES.size();
        Arena arena = Arena.ofShared();
        MemorySegment pixels = arena.allocate((long) n * SIDE * SIDE, 64); // uint8 [10, 1, 28, 28]
        MemorySegment labels = arena.allocate(ValueLayout.JAVA_LONG, n);   // int64 [10]
        for (int label = 0; label < n; label++) {
            labels.setAtIndex(ValueLayout.JAVA_LONG, label, label);
            Style clean = new Style(9, SIDE / 2.0, SIDE / 2.0, 0, 1.0 / 9, 1, 0, 0);
            draw(pixels.asSlice((long) label * SIDE * SIDE, SIDE * SIDE), label, clean, null);
        }
        return new ImageDataset("synthetic/prototypes", arena, pixels, labels, n, 1, SIDE, SIDE, CLASS_NAMES);
    }

    /**
     * How one image is drawn. Lengths are in pixels except {@code halfStroke}, which is in shape units (radius 1).
     */
    private record Style(double radius, double cx, double cy, double angle, double halfStroke,
                         double contrast, double background, double noise) {}

    /** Draws a randomly styled image of class {@code label} into {@code out} (28x28 bytes, row-major). */
    private static void render(MemorySegment out, int label, SplittableRandom rng) {
        double radius = 4.5 + 4.0 * rng.nextDouble();
        double margin = 0.85 * radius;
        Style style = new Style(radius,
                margin + (SIDE - 2 * margin) * rng.nextDouble(),
                margin + (SIDE - 2 * margin) * rng.nextDouble(),
                label == BAR ? Math.PI * rng.nextDouble() : MAX_TILT * (2 * rng.nextDouble() - 1),
                (1.3 + 1.4 * rng.nextDouble()) / (2 * radius),
                0.65 + 0.35 * rng.nextDouble(),
                0.12 * rng.nextDouble(),
                0.03 + 0.07 * rng.nextDouble());
        draw(out, label, style, rng);
    }

    /** Rasterises shape {@code label} with {@code style}; {@code rng} supplies the noise (unused when it is 0). */
    private static void draw(MemorySegment out, int label, Style style, SplittableRandom rng) {
        double cos = Math.cos(style.angle), sin = Math.sin(style.angle);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                double dx = (x + 0.5 - style.cx) / style.radius, dy = (y + 0.5 - style.cy) / style.radius;
                double u = cos * dx + sin * dy, v = -sin * dx + cos * dy;     // rotate into the shape's frame
                double distPx = distance(label, u, v, style.halfStroke) * style.radius;
                double coverage = Math.clamp(0.5 - distPx, 0.0, 1.0);          // 1-pixel anti-aliasing ramp
                double value = style.background + style.contrast * coverage;
                if (style.noise > 0) value += style.noise * rng.nextGaussian();
                out.set(ValueLayout.JAVA_BYTE, y * SIDE + x, (byte) Math.round(255 * Math.clamp(value, 0.0, 1.0)));
            }
        }
    }

    /** Signed distance (negative inside) from {@code (u, v)} to shape {@code label}, in units of its radius. */
    private static double distance(int label, double u, double v, double hw) {
        return switch (label) {
            case 0 -> Math.hypot(u, v) - 1;                                           // disk
            case 1 -> Math.abs(Math.hypot(u, v) - (1 - hw)) - hw;                     // ring
            case 2 -> box(u, v, 0.8, 0.8);                                            // square
            case 3 -> Math.abs(box(u, v, 0.8 - hw, 0.8 - hw)) - hw;                   // square outline
            case 4 -> triangle(u, v, 0.95);                                           // triangle
            case 5 -> plus(u, v, hw);                                                 // plus
            case 6 -> plus(DIAG * (u + v), DIAG * (v - u), hw);                       // x-cross
            case 7 -> box(u, v, 1.0, Math.max(hw, 0.12));                             // bar
            case 8 -> Math.abs(box(DIAG * (u + v), DIAG * (v - u), 0.72 - hw, 0.72 - hw)) - hw; // diamond outline
            case 9 -> arc(u, v, 1 - hw, hw);                                          // arc
            default -> throw new IllegalArgumentException("no shape " + label);
        };
    }

    /** Axis-aligned box with half-sizes {@code (bx, by)}. */
    private static double box(double u, double v, double bx, double by) {
        double qx = Math.abs(u) - bx, qy = Math.abs(v) - by;
        return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0);
    }

    private static double plus(double u, double v, double hw) {
        return Math.min(box(u, v, 1.0, hw), box(u, v, hw, 1.0));
    }

    /** Equilateral triangle of half-side {@code r}, centroid at the origin (after Inigo Quilez). */
    private static double triangle(double u, double v, double r) {
        double px = Math.abs(u) - r, py = v + r / SQRT3;
        if (px + SQRT3 * py > 0) {
            double nx = (px - SQRT3 * py) / 2, ny = (-SQRT3 * px - py) / 2;
            px = nx;
            py = ny;
        }
        px -= Math.clamp(px, -2 * r, 0);
        return -Math.hypot(px, py) * Math.signum(py);
    }

    /** The lower half of a ring of radius {@code r} and half-width {@code hw}, with round ends. */
    private static double arc(double u, double v, double r, double hw) {
        if (v >= 0) return Math.abs(Math.hypot(u, v) - r) - hw;
        return Math.min(Math.hypot(u - r, v), Math.hypot(u + r, v)) - hw;
    }

    /** A 64-bit finaliser (Stafford variant 13 / SplitMix64) spreading seeds and indices over the state space. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
