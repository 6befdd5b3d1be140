package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RepresentationReportTest {
    @Test
    void runsEverySpaceAndFormatsAnAlignedTable() {
        try (StepScope _ = StepScope.open()) {
            Map<String, FeatureSet> spaces = new LinkedHashMap<>();
            spaces.put("clusters", LinearProbeTest.clusters(1000, 300, 11, false));
            spaces.put("shuffled labels", LinearProbeTest.clusters(1000, 300, 12, true));
            List<String> progress = new ArrayList<>();
            RepresentationReport.Config config = new RepresentationReport.Config(
                    KNearestNeighbors.Config.defaults().withKs(1, 5), LinearProbe.Config.defaults());
            List<RepresentationReport.Row> rows = RepresentationReport.run(spaces, config, progress::add);
            String table = RepresentationReport.table(rows);
            System.out.print(table);

            assertEquals(2, rows.size());
            assertEquals("clusters", rows.get(0).name());
            assertEquals(20, rows.get(0).dim());
            assertTrue(rows.get(0).knn().accuracy(1) > rows.get(1).knn().accuracy(1));
            assertEquals(4, progress.size());

            String[] lines = table.split("\n");
            assertEquals(3, lines.length);
            assertTrue(lines[0].startsWith("feature space"), lines[0]);
            assertTrue(lines[0].contains("1-NN") && lines[0].contains("5-NN") && lines[0].contains("linear top-1"));
            assertTrue(!lines[0].contains("top-5"), "5 classes: no top-5 column");
            assertTrue(lines[0].endsWith("probe l2"), lines[0]);
            assertTrue(lines[1].endsWith(String.format(java.util.Locale.ROOT, "%.0e", rows.get(0).probe().bestL2())), lines[1]);
            assertTrue(lines[2].startsWith("shuffled labels"));
            // aligned: every line has the same length, and the 1-NN column ends at the same place
            assertEquals(lines[0].length(), lines[1].length());
            assertEquals(lines[0].length(), lines[2].length());
            assertEquals(lines[0].indexOf("1-NN") + 4, lines[1].indexOf('%', lines[0].indexOf("dim") + 3) + 1);
        }
    }

    @Test
    void emptyInputIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> RepresentationReport.run(Map.of(), RepresentationReport.Config.defaults(), null));
    }
}
