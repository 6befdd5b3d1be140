package io.bigbigan.trainer.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Single settings of a {@link RunConfig} changed by path, as {@code train --set train.optim.lrE=1e-4} gives them:
 * the path names keys of the configuration's JSON form ({@code bigbigan presets --json NAME} prints it; array
 * elements by index, {@code model.discriminator.fBlocks.0.out}). A key that does not exist, a value of another type
 * than the one it replaces and a configuration the records refuse are errors naming the setting. A path ends at a
 * single value: groups such as {@code train.optim} are changed one key at a time.
 */
public final class ConfigOverrides {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigOverrides() {}

    /**
     * {@code base} with each {@code PATH=VALUE} of {@code settings} applied in order.
     *
     * @throws OptionException naming the setting and the reason
     */
    public static RunConfig apply(RunConfig base, List<String> settings) {
        if (settings == null || settings.isEmpty()) return base;
        JsonNode root;
        try {
            root = JSON.readTree(base.toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        for (String setting : settings) set(root, setting);
        try {
            return RunConfig.fromJson(JSON.writeValueAsString(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IllegalArgumentException e) {
            throw new OptionException("--set " + String.join(" --set ", settings) + ": " + e.getMessage(), e);
        }
    }

    private static void set(JsonNode root, String setting) {
        int eq = setting.indexOf('=');
        if (eq <= 0 || eq == setting.length() - 1)
            throw new OptionException("--set " + setting + ": expected PATH=VALUE, e.g. train.optim.lrE=1e-4");
        String path = setting.substring(0, eq).trim(), text = setting.substring(eq + 1).trim();
        String[] keys = path.split("\\.");
        JsonNode parent = root;
        for (int i = 0; i < keys.length - 1; i++) parent = child(parent, keys, i, setting);
        String key = keys[keys.length - 1];
        JsonNode old = child(parent, keys, keys.length - 1, setting);
        if (old.isContainerNode())
            throw new OptionException("--set " + setting + ": " + path + " is a group of settings; set one of its keys ("
                    + String.join(", ", names(old)) + ")");
        JsonNode value = parse(old, text, setting);
        if (parent instanceof ObjectNode o) o.set(key, value);
        else ((ArrayNode) parent).set(Integer.parseInt(key), value);
    }

    private static JsonNode child(JsonNode parent, String[] keys, int i, String setting) {
        String where = i == 0 ? "the configuration" : String.join(".", List.of(keys).subList(0, i));
        JsonNode c = null;
        if (parent.isObject()) c = parent.get(keys[i]);
        else if (parent.isArray() && keys[i].matches("\\d{1,6}")) c = parent.get(Integer.parseInt(keys[i]));
        if (c == null || !(parent.isContainerNode()))
            throw new OptionException("--set " + setting + ": no key '" + keys[i] + "' in " + where
                    + (parent.isContainerNode() ? " (known: " + String.join(", ", names(parent)) + ")" : ""));
        return c;
    }

    private static List<String> names(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node.isArray()) for (int i = 0; i < node.size(); i++) out.add(Integer.toString(i));
        else node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static JsonNode parse(JsonNode old, String text, String setting) {
        JsonNode value;
        try {
            value = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            value = null;
        }
        if (old.isTextual()) return JSON.getNodeFactory().textNode(value != null && value.isTextual() ? value.asText() : text);
        if (old.isBoolean() && value != null && value.isBoolean()) return value;
        if (old.isIntegralNumber() && value != null && value.isIntegralNumber()) return value;
        if (old.isNumber() && !old.isIntegralNumber() && value != null && value.isNumber())
            return JSON.getNodeFactory().numberNode(value.asDouble());
        String type = old.isBoolean() ? "true or false" : old.isIntegralNumber() ? "an integer" : "a number";
        throw new OptionException("--set " + setting + ": expected " + type + " (now " + old + ")");
    }
}
