package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.data.ClassFilter;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.ImageDataset;
import picocli.CommandLine.Option;

/**
 * {@code --normal-classes} / {@code --exclude-classes}: train on some classes of a labelled data set only (the
 * one-class anomaly protocol, see {@code evaluate --metrics anomaly}). Only the training split is filtered.
 */
final class ClassFilterOptions {
    @Option(names = "--normal-classes", paramLabel = "K,...", description = {"Train only on these classes (label",
            "indices, e.g. 0,1,2); the test split is kept whole."})
    String normalClasses;

    @Option(names = "--exclude-classes", paramLabel = "K,...", description = {"Train on every class but these (e.g. the",
            "anomaly class of evaluate --metrics anomaly --anomaly-classes K)."})
    String excludeClasses;

    /** The filter given, or null. */
    ClassFilter filter() {
        if (normalClasses != null && excludeClasses != null)
            throw new OptionException("give --normal-classes or --exclude-classes, not both");
        try {
            if (normalClasses != null)
                return new ClassFilter(ClassFilter.parseClasses(normalClasses, "--normal-classes"), false);
            if (excludeClasses != null)
                return new ClassFilter(ClassFilter.parseClasses(excludeClasses, "--exclude-classes"), true);
        } catch (IllegalArgumentException e) {
            throw new OptionException(e.getMessage());
        }
        return null;
    }

    /** {@code full} with its training split filtered (the unfiltered split is closed), or {@code full} itself. */
    DatasetSplits apply(DatasetSplits full) {
        ClassFilter f = filter();
        if (f == null) return full;
        String flag = f.exclude() ? "--exclude-classes" : "--normal-classes";
        ImageDataset kept;
        try {
            kept = f.apply(full.train(), flag);
        } catch (IllegalArgumentException e) {
            full.close();
            throw new OptionException(e.getMessage());
        }
        full.train().close();
        return new DatasetSplits(kept, full.test());
    }
}
