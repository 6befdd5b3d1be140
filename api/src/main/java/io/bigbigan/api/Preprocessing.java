package io.bigbigan.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.model.ModelConfig;

import java.util.Locale;

/**
 * How images become network inputs, stored in every bundle so that inference sees what training saw.
 *
 * <p>A user image of any size is first fitted to {@code imageSize} x {@code imageSize} with {@code channels} channels
 * (the training data's geometry): the largest centred square is cut and area-resampled, RGB becomes grey by luminance
 * (0.299 R + 0.587 G + 0.114 B) and grey becomes RGB by repetition; values are scaled to [0, 1]. Then
 * {@code toNetwork} turns that image into the network's input: {@code flatten} (the BiGAN MLP reads [B, C*S*S] in
 * [0, 1]), {@code pad} (zero padding on every side to {@code networkSize}, e.g. 28 -> 32, then scaling to
 * [{@code inputMin}, {@code inputMax}]) or {@code resize} (bilinear, align_corners false, then scaling).
 *
 * @param imageSize   side of the training images in pixels
 * @param channels    1 (grey) or 3 (RGB)
 * @param inputMin    network input value of black
 * @param inputMax    network input value of white
 * @param toNetwork   {@code flatten}, {@code pad} or {@code resize}
 * @param networkSize side of G's output and of the network input after {@code toNetwork}
 */
public record Preprocessing(int imageSize, int channels, double inputMin, double inputMax, String toNetwork,
                            int networkSize) {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    /** Validates the fields. */
    public Preprocessing {
        if (imageSize < 1) throw new IllegalArgumentException("preprocessing: imageSize must be positive, got " + imageSize);
        if (channels != 1 && channels != 3)
            throw new IllegalArgumentException("preprocessing: channels must be 1 or 3, got " + channels);
        if (!(inputMax > inputMin)) throw new IllegalArgumentException("preprocessing: inputMax must exceed inputMin");
        toNetwork = toNetwork == null ? "" : toNetwork.toLowerCase(Locale.ROOT);
        if (!toNetwork.equals("flatten") && !toNetwork.equals("pad") && !toNetwork.equals("resize"))
            throw new IllegalArgumentException("preprocessing: toNetwork must be flatten, pad or resize, got '"
                    + toNetwork + "'");
        if (toNetwork.equals("pad") && (networkSize < imageSize || (networkSize - imageSize) % 2 != 0))
            throw new IllegalArgumentException("preprocessing: cannot pad " + imageSize + " px evenly to " + networkSize);
    }

    /**
     * The preprocessing of a model trained on images of side {@code imageSize} (the BiGAN MLP's is fixed by its
     * input dimension; BigBiGAN pads smaller images evenly, as its trainer does, and resizes the rest).
     */
    public static Preprocessing forModel(ModelConfig model, int imageSize) {
        var in = model.modelKind().inputs(imageSize);
        return new Preprocessing(in.imageSize(), in.channels(), in.inputMin(), in.inputMax(), in.toNetwork(),
                in.networkSize());
    }

    /** This record as JSON. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses {@link #toJson()}'s output.
     *
     * @throws IllegalArgumentException for malformed JSON, unknown or missing keys, or invalid values
     */
    public static Preprocessing fromJson(String json) {
        if (json == null) throw new IllegalArgumentException("no preprocessing metadata");
        try {
            return JSON.readValue(json, Preprocessing.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad preprocessing metadata: " + e.getOriginalMessage(), e);
        }
    }

    /** Elements of one image as the user supplies it: channels x imageSize x imageSize. */
    public int imageElements() {
        return channels * imageSize * imageSize;
    }
}
