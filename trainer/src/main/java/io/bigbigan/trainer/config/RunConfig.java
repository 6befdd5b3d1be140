package io.bigbigan.trainer.config;

import io.bigbigan.bindings.Precision;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.bigbigan.model.ModelConfig;

/**
 * The whole configuration of a run: one immutable tree of records, named by its preset. Serialised as JSON into
 * checkpoints; reading JSON with an unknown or missing key is an error.
 *
 * @param preset the preset this configuration started from
 * @param model  the architecture
 * @param train  the optimisation
 */
public record RunConfig(String preset, ModelConfig model, TrainConfig train) {
    private static final ObjectMapper JSON = io.bigbigan.bindings.Json.builder()   // NaN/Inf as null
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    public RunConfig {
        if (preset == null || model == null || train == null)
            throw new IllegalArgumentException("preset, model and train are required");
    }

    public RunConfig withTrain(TrainConfig t) { return new RunConfig(preset, model, t); }

    /** Compact JSON. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses JSON written by an older format version, adding what that version did not record: format 1 had no
     * {@code kind} (only the BiGAN MLP existed) and no {@code train.ema} (no EMA). For every version, a
     * {@code train} node without {@code objective} (configurations written before the objective ablations existed)
     * reads as {@link Objective#FULL}, the objective those runs trained with, one without {@code orthoReg} as 0, one without {@code precision} as fp32, and one without {@code accumulation} as 1.
     */
    public static RunConfig fromJson(String json, int formatVersion) {
        try {
            var root = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(json);
            var train = (com.fasterxml.jackson.databind.node.ObjectNode) root.get("train");
            if (train != null) {
                if (formatVersion < 2 && !train.has("ema")) train.set("ema", JSON.valueToTree(EmaConfig.off()));
                if (!train.has("objective")) train.set("objective", JSON.valueToTree(Objective.FULL));
                if (!train.has("orthoReg")) train.put("orthoReg", 0.0);
                if (!train.has("precision")) train.put("precision", Precision.FP32.id());
                if (!train.has("accumulation")) train.put("accumulation", 1);
            }
            return fromJson(JSON.writeValueAsString(root));
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IllegalArgumentException("unreadable format-" + formatVersion + " configuration: " + e.getMessage(), e);
        }
    }

    /**
     * Parses JSON written by {@link #toJson()} (or by hand).
     *
     * @throws IllegalArgumentException with the offending key or value
     */
    public static RunConfig fromJson(String json) {
        try {
            return JSON.readValue(json, RunConfig.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
    }
}
