package io.bigbigan.trainer.data;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which classes of a labelled data set to keep, as {@code train --normal-classes} or {@code --exclude-classes} give
 * them (the one-class anomaly protocol trains on the normal classes only). Classes are label indices
 * {@code 0..K-1}.
 *
 * @param classes the class indices named
 * @param exclude whether they are dropped (else they are the ones kept)
 */
public record ClassFilter(Set<Integer> classes, boolean exclude) {
    public ClassFilter {
        classes = java.util.Collections.unmodifiableSet(new TreeSet<>(classes));
        if (classes.isEmpty()) throw new IllegalArgumentException("a class filter needs at least one class");
    }

    /**
     * Parses a comma-separated list of class indices ({@code 0,3,7}) given to {@code flag}.
     *
     * @throws IllegalArgumentException naming the flag and the bad entry
     */
    public static Set<Integer> parseClasses(String list, String flag) {
        Set<Integer> out = new TreeSet<>();
        for (String part : list.split(",")) {
            String p = part.trim();
            try {
                int c = Integer.parseInt(p);
                if (c < 0) throw new NumberFormatException();
                out.add(c);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + ": '" + p + "' is not a class index (0, 1, ...)");
            }
        }
        return out;
    }

    /** Whether images of class {@code label} are kept. */
    public boolean keeps(int label) {
        return classes.contains(label) != exclude;
    }

    /**
     * The images of {@code data} this filter keeps, in their order, as a data set with its own memory (the class
     * names are unchanged, so labels keep their meaning).
     *
     * @throws IllegalArgumentException when a named class does not exist in {@code data}, or no image is kept
     */
    public ImageDataset apply(ImageDataset data, String flag) {
        for (int c : classes)
            if (c >= data.numClasses())
                throw new IllegalArgumentException(flag + ": class " + c + " does not exist in " + data.name()
                        + " (classes 0.." + (data.numClasses() - 1) + ": " + String.join(", ", data.classNames()) + ")");
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) if (keeps(data.label(i))) kept.add(i);
        if (kept.isEmpty())
            throw new IllegalArgumentException(flag + ": no image of " + data.name() + " is left");
        long imageBytes = (long) data.channels() * data.height() * data.width();
        MemorySegment src = data.pixelSegment();
        Arena arena = Arena.ofShared();
        MemorySegment px = arena.allocate(imageBytes * kept.size(), 64);
        MemorySegment lb = arena.allocate(ValueLayout.JAVA_LONG, kept.size());
        for (int j = 0; j < kept.size(); j++) {
            int i = kept.get(j);
            MemorySegment.copy(src, imageBytes * i, px, imageBytes * j, imageBytes);
            lb.setAtIndex(ValueLayout.JAVA_LONG, j, data.label(i));
        }
        return new ImageDataset(data.name() + "{" + (exclude ? "without " : "classes ") + describe() + "}", arena, px, lb,
                kept.size(), data.channels(), data.height(), data.width(), data.classNames());
    }

    private String describe() {
        return String.join(",", classes.stream().map(String::valueOf).toList());
    }
}
