package io.bigbigan.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The packages of the trainer module form no cycle: each sub-package ({@code trainer.checkpoint},
 * {@code trainer.eval}, {@code trainer.eval.generation}, ...) is one slice, and a class of one slice that uses a
 * class of another (a field, parameter, return or local type, a call, a nested class) is an edge between them. A
 * cycle fails the test with the class pairs that close it.
 *
 * <p>Caveats of reading bytecode: a {@code static final} String or primitive constant is inlined by the compiler, so
 * an edge made only of such constants is invisible; Javadoc links are not edges.
 *
 * <p>{@link #ALLOWED} lists the class edges of cycles that existed when the test was written and are being cut; it
 * only ever shrinks.
 */
class PackageCyclesTest {
    private static JavaClasses classes;

    /** Class edges (origin, target; nested classes included) allowed to close a cycle while it is being cut. */
    private static final String[][] ALLOWED = {
            {"io.bigbigan.trainer.loop.TrainingRun", "io.bigbigan.trainer.checkpoint.Checkpoints"},
    };

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.bigbigan");
    }

    @Test
    void trainerPackagesAreFreeOfCycles() {
        SliceRule rule = slices().matching("io.bigbigan.trainer.(**)").should().beFreeOfCycles();
        for (String[] edge : ALLOWED) rule = rule.ignoreDependency(classOrNested(edge[0]), classOrNested(edge[1]));
        rule.check(classes);
    }

    /** The class named, or one nested in it ({@code Name$Inner}, lambdas' synthetic classes). */
    private static DescribedPredicate<JavaClass> classOrNested(String name) {
        return DescribedPredicate.describe(name, c -> c.getName().equals(name) || c.getName().startsWith(name + "$"));
    }
}
