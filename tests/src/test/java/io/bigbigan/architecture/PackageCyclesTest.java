package io.bigbigan.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The packages of the trainer module form no cycle: each sub-package ({@code trainer.loop},
 * {@code trainer.checkpoint}, {@code trainer.eval}, {@code trainer.eval.generation}, ...) is one slice, and a class
 * of one slice that uses a class of another (a field, parameter, return or local type, a call, a nested class) is an
 * edge between them. A cycle fails the test with the class pairs that close it.
 *
 * <p>Caveats of reading bytecode: a {@code static final} String or primitive constant is inlined by the compiler, so
 * an edge made only of such constants is invisible; Javadoc links are not edges.
 */
class PackageCyclesTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.bigbigan");
    }

    @Test
    void trainerPackagesAreFreeOfCycles() {
        slices().matching("io.bigbigan.trainer.(**)").should().beFreeOfCycles().check(classes);
    }

    /**
     * The trainer's floors, top first (docs/layout.md): {@code loop} → {@code checkpoint} → {@code step} →
     * {@code eval} → {@code data}, {@code objective}, {@code distributed} → {@code config}; {@code report} (image grids, the
     * HTML run report) is used from above and uses only {@code config}. A use that runs back up a floor fails, even
     * where it closes no cycle yet.
     */
    @Test
    void trainerFloorsAreUsedOnlyFromAbove() {
        layeredArchitecture().consideringOnlyDependenciesInAnyPackage("io.bigbigan.trainer..")
                .layer("loop").definedBy("io.bigbigan.trainer.loop..")
                .layer("checkpoint").definedBy("io.bigbigan.trainer.checkpoint..")
                .layer("step").definedBy("io.bigbigan.trainer.step..")
                .layer("eval").definedBy("io.bigbigan.trainer.eval..")
                .layer("lower").definedBy("io.bigbigan.trainer.data..", "io.bigbigan.trainer.objective..",
                        "io.bigbigan.trainer.distributed..")
                .layer("report").definedBy("io.bigbigan.trainer.report..")
                .layer("config").definedBy("io.bigbigan.trainer.config..")
                .whereLayer("loop").mayNotBeAccessedByAnyLayer()
                .whereLayer("checkpoint").mayOnlyBeAccessedByLayers("loop")
                .whereLayer("step").mayOnlyBeAccessedByLayers("loop", "checkpoint")
                .whereLayer("eval").mayOnlyBeAccessedByLayers("loop", "checkpoint", "step")
                .whereLayer("lower").mayOnlyBeAccessedByLayers("loop", "checkpoint", "step", "eval", "lower")
                .whereLayer("report").mayOnlyBeAccessedByLayers("loop", "checkpoint", "step", "eval")
                .check(classes);
    }

    /**
     * The inference library stands beside the trainer, on {@code model}, {@code bindings} and {@code nativelib}: an
     * application that only encodes images does not ship the trainer (nor the CLI). Checkpoints reach the library
     * through {@code tools} ({@code CheckpointBundles}).
     */
    @Test
    void theApiUsesNeitherTrainerNorTools() {
        noClasses().that().resideInAPackage("io.bigbigan.api..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bigbigan.trainer..", "io.bigbigan.tools..")
                .check(classes);
    }
}
