package io.bigbigan.bindings;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDecorator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;

/**
 * The JSON this program writes ({@code metrics.jsonl}, checkpoint manifests, {@code best.json}, diagnostics, the
 * report's data): standard JSON, where a NaN or infinite number is written as {@code null}. (Jackson's default writes
 * them as the strings {@code "NaN"} and {@code "Infinity"}, which turns a numeric column into a mixed one for every
 * reader; bare {@code NaN} is not JSON at all.) A non-finite value only appears in diagnostics of a run that the NaN
 * guard stopped.
 */
public final class Json {
    private Json() {}

    /** Writes a NaN or infinite {@code double}/{@code float} as {@code null}, whatever produces it. */
    private static final JsonGeneratorDecorator NON_FINITE_AS_NULL = (factory, generator) ->
            new JsonGeneratorDelegate(generator, true) {
                @Override
                public void writeNumber(double v) throws IOException {
                    if (Double.isFinite(v)) super.writeNumber(v);
                    else super.writeNull();
                }

                @Override
                public void writeNumber(float v) throws IOException {
                    if (Float.isFinite(v)) super.writeNumber(v);
                    else super.writeNull();
                }
            };

    /** A mapper builder whose output writes non-finite numbers as {@code null}. */
    public static JsonMapper.Builder builder() {
        return JsonMapper.builder(JsonFactory.builder().addDecorator(NON_FINITE_AS_NULL).build());
    }

    /** The shared mapper (thread-safe once built). */
    public static final JsonMapper MAPPER = builder().build();
}
