package io.bigbigan.tools;

import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.generation.DomainClassifier;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;

/** Where domain classifiers and cached reference statistics live. */
final class GenerationOptions {
    @Option(names = "--domain-classifier", paramLabel = "DIR", description = {"Domain classifier folder for FD/IS on",
            "the dataset's own classes; trained there (and saved) when it holds none (default:",
            "CACHE/classifiers/<data>)."})
    Path domainClassifier;

    @Option(names = "--classifier-epochs", defaultValue = "3",
            description = "Epochs when a domain classifier must be trained (default: ${DEFAULT-VALUE}).")
    int classifierEpochs;

    @Option(names = "--cache", paramLabel = "DIR", description = {"Cache of reference statistics and default",
            "classifiers (default: $BIGBIGAN_CACHE, else ~/.cache/bigbigan)."})
    Path cache;

    /** The cache root. */
    Path cacheRoot() {
        if (cache != null) return cache;
        String env = System.getenv("BIGBIGAN_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "bigbigan");
    }

    /** The classifier folder for {@code dataSpec}. */
    Path classifierDir(String dataSpec) {
        if (domainClassifier != null) return domainClassifier;
        String safe = dataSpec.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "_");
        return cacheRoot().resolve("classifiers").resolve(safe);
    }

    /** Loads the classifier for {@code dataSpec}, training and saving one first when the folder holds none. */
    DomainClassifier classifier(String dataSpec, DatasetSplits splits, long seed) throws Exception {
        Path dir = classifierDir(dataSpec);
        if (DomainClassifier.exists(dir)) {
            DomainClassifier c = DomainClassifier.load(dir);
            System.out.printf(Locale.ROOT, "domain classifier %s (id %s, test accuracy %.2f%%)%n", dir, c.id(),
                    100 * c.info().testAccuracy());
            return c;
        }
        System.out.printf("no domain classifier in %s: training one (%d epochs on %s)%n", dir, classifierEpochs, dataSpec);
        DomainClassifier c = DomainClassifier.train(splits.train(), splits.test(), dataSpec, classifierEpochs, seed, dir,
                System.out::println);
        System.out.printf(Locale.ROOT, "domain classifier saved to %s (id %s, test accuracy %.2f%%)%n", dir, c.id(),
                100 * c.info().testAccuracy());
        return c;
    }
}
