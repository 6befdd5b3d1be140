package io.bigbigan.tools;

import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Help text that reads as prose at any terminal width. The commands' annotations split long descriptions over
 * several array elements to keep the source narrow; picocli would print each element as its own line and wrap it
 * again, so sentences broke twice and the root help listed only the first element, cut mid-sentence. Here:
 * <ul>
 *   <li>consecutive description elements (of commands, options and positional parameters) are joined into one
 *       paragraph that picocli wraps to the usage width; a blank element starts a new paragraph;</li>
 *   <li>footer lines that start with a space (the examples) are printed as they are, so they can be copied;
 *       other footer lines are joined into paragraphs like descriptions;</li>
 *   <li>the root help lists each command with the first sentence of its description (up to the first
 *       {@code ". "} or {@code ": "} outside parentheses);</li>
 *   <li>the width follows the terminal (picocli's {@code usageHelpAutoWidth}; 80 columns when the output is not a
 *       terminal or its width is unknown).</li>
 * </ul>
 */
final class HelpLayout {
    private HelpLayout() {}

    /** Installs the layout on {@code cl} and all its subcommands. */
    static CommandLine install(CommandLine cl) {
        cl.setHelpFactory(ParagraphHelp::new);
        cl.setUsageHelpAutoWidth(true);
        return cl;
    }

    /** Lines joined into paragraphs: consecutive non-blank lines become one, a blank line separates. */
    static String[] paragraphs(String[] lines) {
        List<String> out = new ArrayList<>();
        StringBuilder p = null;
        for (String line : lines) {
            if (line.isBlank()) {
                if (p != null) out.add(p.toString());
                p = null;
                out.add("");
            } else if (p == null) {
                p = new StringBuilder(line.strip());
            } else {
                p.append(' ').append(line.strip());
            }
        }
        if (p != null) out.add(p.toString());
        return out.toArray(String[]::new);
    }

    /**
     * {@code lines} wrapped at spaces to {@code width} characters (picocli's own wrapping also breaks inside words,
     * after a '.' or before a '(': ". / safetensors", "relu / (x)"); a word longer than the width keeps a line of
     * its own. Blank lines stay.
     */
    static String[] atSpaces(String[] lines, int width) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            if (line.length() <= width) {
                out.add(line);
                continue;
            }
            StringBuilder cur = new StringBuilder();
            for (String word : line.strip().split(" +")) {
                if (!cur.isEmpty() && cur.length() + 1 + word.length() > width) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
                if (!cur.isEmpty()) cur.append(' ');
                cur.append(word);
            }
            out.add(cur.toString());
        }
        return out.toArray(String[]::new);
    }

    /**
     * The first sentence of {@code text}: up to and including the first '.' or ':' that is followed by a space (or
     * ends the text) outside parentheses and backquotes, and is not part of "e.g." or "i.e."; a ':' becomes '.'.
     */
    static String firstSentence(String text) {
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '`') quoted = !quoted;
            else if (c == '(' || c == '[') depth++;
            else if ((c == ')' || c == ']') && depth > 0) depth--;
            else if ((c == '.' || c == ':') && depth == 0 && !quoted
                    && (i + 1 == text.length() || text.charAt(i + 1) == ' ')) {
                String head = text.substring(0, i);
                if (c == '.' && (head.endsWith("e.g") || head.endsWith("i.e"))) continue;
                return head + '.';
            }
        }
        return text;
    }

    /** picocli's help with the paragraphs, verbatim examples and one-sentence command list described above. */
    static final class ParagraphHelp extends Help {
        ParagraphHelp(CommandSpec spec, ColorScheme scheme) {
            super(spec, scheme);
        }

        private UsageMessageSpec usage() {
            return commandSpec().usageMessage();
        }

        private String wrap(String[] lines, int width, Object... params) {
            return Help.join(colorScheme().ansi(), width, usage().adjustLineBreaksForWideCJKCharacters(), lines,
                    new StringBuilder(), params).toString();
        }

        @Override
        public String description(Object... params) {
            return wrap(atSpaces(paragraphs(usage().description()), usage().width()), usage().width(), params);
        }

        /** picocli's layout, with option and parameter descriptions broken at spaces only ({@link #atSpaces}). */
        @Override
        public Layout createDefaultLayout() {
            Layout base = super.createDefaultLayout();
            return new Layout(colorScheme(), base.textTable(), createDefaultOptionRenderer(), createDefaultParameterRenderer()) {
                @Override
                public void layout(CommandLine.Model.ArgSpec arg, Text[][] rows) {
                    Column[] columns = textTable().columns();
                    Column last = columns[columns.length - 1];
                    super.layout(arg, brokenAtSpaces(rows, last.width - last.indent - 1));
                }
            };
        }

        @Override
        public String footer(Object... params) {
            StringBuilder out = new StringBuilder();
            List<String> prose = new ArrayList<>();
            for (String line : usage().footer()) {
                if (line.startsWith(" ")) {                       // an example: verbatim, however long
                    out.append(wrap(atSpaces(paragraphs(prose.toArray(String[]::new)), usage().width()), usage().width(), params));
                    prose.clear();
                    out.append(wrap(new String[]{line}, Math.max(usage().width(), line.length() + 1), params));
                } else {
                    prose.add(line);
                }
            }
            return out.append(wrap(atSpaces(paragraphs(prose.toArray(String[]::new)), usage().width()), usage().width(),
                    params)).toString();
        }

        @Override
        public IOptionRenderer createDefaultOptionRenderer() {
            IOptionRenderer base = super.createDefaultOptionRenderer();
            return (option, labels, scheme) -> joinContinuations(base.render(option, labels, scheme));
        }

        @Override
        public IParameterRenderer createDefaultParameterRenderer() {
            IParameterRenderer base = super.createDefaultParameterRenderer();
            return (param, labels, scheme) -> joinContinuations(base.render(param, labels, scheme));
        }

        @Override
        public String commandList(Map<String, Help> subcommands) {
            if (subcommands.isEmpty()) return "";
            int nameWidth = 0;
            for (Help h : subcommands.values()) nameWidth = Math.max(nameWidth, h.commandNamesText(", ").plainString().length());
            int width = usage().width();
            int summaryWidth = Math.max(20, width - nameWidth - 4);
            TextTable table = TextTable.forColumns(colorScheme(), new Column(nameWidth + 4, 2, Column.Overflow.SPAN),
                    new Column(summaryWidth, 0, Column.Overflow.WRAP));
            for (Help h : subcommands.values()) {
                UsageMessageSpec u = h.commandSpec().usageMessage();
                String[] lines = u.header().length > 0 ? u.header() : u.description();
                String summary = lines.length == 0 ? "" : firstSentence(paragraphs(lines)[0]);
                String[] wrapped = atSpaces(new String[]{summary}, summaryWidth - 1);
                table.addRowValues(h.commandNamesText(", "), colorScheme().text(wrapped[0]));
                for (int i = 1; i < wrapped.length; i++)
                    table.addRowValues(colorScheme().text(""), colorScheme().text(wrapped[i]));
            }
            return table.toString();
        }

        /**
         * Rows of an option or parameter with their description (last) column broken at spaces to {@code width}
         * characters; continuation lines indented by two, as picocli indents its own.
         */
        private Text[][] brokenAtSpaces(Text[][] rows, int width) {
            List<Text[]> out = new ArrayList<>();
            for (Text[] row : rows) {
                int n = row.length;
                String text = row[n - 1].plainString();
                if (text.length() <= width) {
                    out.add(row);
                    continue;
                }
                String[] first = atSpaces(new String[]{text}, width);
                String head = first[0];
                String[] rest = atSpaces(new String[]{text.substring(head.length()).strip()}, width - 2);
                Text[] r0 = row.clone();
                r0[n - 1] = colorScheme().text(head);
                out.add(r0);
                for (String line : rest) {
                    Text[] r = new Text[n];
                    for (int c = 0; c < n - 1; c++) r[c] = colorScheme().text("");
                    r[n - 1] = colorScheme().text("  " + line);
                    out.add(r);
                }
            }
            return out.toArray(Text[][]::new);
        }

        /** Rows of an option: the description column of continuation rows (all other cells empty) joined into one. */
        private static Text[][] joinContinuations(Text[][] rows) {
            List<Text[]> out = new ArrayList<>();
            for (Text[] row : rows) {
                boolean continuation = !out.isEmpty();
                for (int c = 0; c < row.length - 1 && continuation; c++)
                    if (!row[c].plainString().isBlank()) continuation = false;
                if (continuation) {
                    Text[] prev = out.getLast();
                    prev[prev.length - 1] = prev[prev.length - 1].concat(" ").concat(row[row.length - 1]);
                } else {
                    out.add(row.clone());
                }
            }
            return out.toArray(Text[][]::new);
        }
    }
}
