package io.bigbigan.trainer.data;

/** {@code synthetic}: {@link SyntheticShapes}, generated in memory (12000 train / 3000 test, 28x28 grey). */
record SyntheticSource(String name, String help) implements DataSource {
    static final String NAME = "synthetic";
    static final String HELP = NAME + " (embedded shapes)";

    /** The built-in source, named {@value #NAME}. */
    SyntheticSource() {
        this(NAME, HELP);
    }

    @Override
    public boolean accepts(String key) {
        return key.equals(NAME);
    }

    @Override
    public int imageSize(String spec) {
        return SyntheticShapes.SIDE;
    }

    @Override
    public DatasetSplits open(String spec, Datasets.FolderSettings folder) {
        ImageDataset train = SyntheticShapes.train();
        return new DatasetSplits(train, Datasets.closeOnFailure(train, SyntheticShapes::test));
    }
}
