package io.bigbigan.tools;

import io.bigbigan.api.Bundle;
import io.bigbigan.api.Preprocessing;
import io.bigbigan.trainer.checkpoint.CheckpointMetadata;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.step.Weights;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.data.Datasets;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where training meets the library: the inference part of a training checkpoint as bundle contents, and a preset's
 * configuration in the bundle's terms. The library ({@code api}) does not read checkpoints, so that an application
 * that only encodes images does not ship the trainer.
 */
public final class CheckpointBundles {
    private CheckpointBundles() {}

    /** A run configuration as a bundle stores it (JSON of the current checkpoint format). */
    public static Bundle.Config config(RunConfig c) {
        return new Bundle.Config(c.preset(), c.toJson(), CheckpointMetadata.VERSION, c.model());
    }

    /**
     * A preset's configuration, for a state dict without metadata.
     *
     * @throws IllegalArgumentException naming the preset when it is unknown
     */
    public static Bundle.Config preset(String name) {
        return config(Presets.get(name));
    }

    /**
     * The inference part of a training checkpoint: G and E, their EMA copies or live weights as {@code weights} says
     * (the live ones where the preset keeps no EMA).
     *
     * @param imageSize the training images' side; 0 derives it from the checkpoint's data set
     */
    public static Bundle.Contents fromCheckpoint(Path checkpoint, Weights weights, int imageSize) {
        var loaded = Checkpoints.load(checkpoint, weights, io.bigbigan.trainer.step.ComputeDevice.cpu());
        Map<String, Tensor> all = loaded.trainer().state();
        boolean ema = all.keySet().stream().anyMatch(k -> k.startsWith("G_ema."));
        Map<String, Tensor> t = new LinkedHashMap<>();
        String g = ema ? "G_ema." : "G.", e = ema ? "E_ema." : "E.";
        all.forEach((k, v) -> {
            if (k.startsWith(g)) t.put("G." + k.substring(g.length()), v);
        });
        all.forEach((k, v) -> {
            if (k.startsWith(e)) t.put("E." + k.substring(e.length()), v);
        });
        String data = loaded.meta().run().data();
        int size = imageSize > 0 ? imageSize : Datasets.imageSize(data);
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("source", loaded.file().getFileName().toString());
        prov.put("step", Long.toString(loaded.step()));
        prov.put("weights", ema ? "ema" : "live");
        if (data != null) prov.put("data", data);
        return new Bundle.Contents(config(loaded.config()), Preprocessing.forModel(loaded.config().model(), size), t, prov);
    }
}
