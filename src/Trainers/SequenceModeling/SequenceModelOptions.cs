namespace MlNetRnn.Trainers.SequenceModeling;

/// <summary>
/// Options of <see cref="SequenceModelTrainer"/>: an LSTM/GRU/RNN over a sequence of float feature vectors held in one
/// <c>Vector&lt;Single&gt;</c> column (the steps one after another, <see cref="FeaturesPerStep"/> values each; fixed-size, or variable-size
/// for sequences of different lengths, or fixed-size with a <see cref="LengthColumnName"/>), with a sigmoid head
/// (Boolean label), a softmax head (key label) or a linear head (Single label, regression). Ranges are checked when the trainer is created.
/// </summary>
public sealed class SequenceModelOptions : RecurrentTrainerOptions
{
    /// <summary>Creates options with the float-sequence defaults.</summary>
    public SequenceModelOptions()
    {
        Cell = RecurrentCellKind.Gru;
        HiddenSize = 64;
        NumberOfLayers = 1;
        Epochs = 200;
        BatchSize = 32;
        LearningRate = 0.003;
        Patience = 20;
        ValidationFraction = 0.15;
    }

    /// <summary>
    /// Feature column: a fixed-size <c>Vector&lt;Single&gt;</c> read as steps of <see cref="FeaturesPerStep"/> values, row-major
    /// (step 0's features, then step 1's, …), for example an 8×8 image read row by row, or the output of <c>Concatenate</c>. Default "Features".
    /// </summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>
    /// Optional column holding each row's number of valid steps (a whole number from 1 to the vector's steps; Single, Double, Int32,
    /// Int64 or UInt32): the steps after it are padding the network never reads. Null (the default): every step of a fixed-size vector is
    /// valid, and a variable-size vector holds exactly its row's steps. Either way a model of sequences of different lengths is
    /// exported with an int32 <c>lengths</c> input.
    /// </summary>
    public string? LengthColumnName { get; set; }

    /// <summary>Label column: Boolean (binary classifier), a key (multiclass classifier) or Single (regressor). Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Values per step, 1 to 65536; the vector's size must be a multiple of it. Default 1 (a univariate sequence).</summary>
    public int FeaturesPerStep { get; set; } = 1;

    /// <summary>Read each sequence in both directions. Default true.</summary>
    public bool Bidirectional { get; set; } = true;

    /// <summary>
    /// How the head reads the steps: the final states (forward and backward), the mean of the outputs, or the mean and the maximum side
    /// by side. Default LastStep (chosen on inner validation splits of the digits' training parts: 0.975 accuracy against 0.960 for MeanMax).
    /// </summary>
    public SequencePooling Pooling { get; set; } = SequencePooling.LastStep;

    /// <summary>
    /// Standardise each feature inside the graph with the training split's mean and standard deviation over all steps (and a
    /// regressor's label likewise, inverted on its output), so the <c>.onnx</c> file takes and returns raw values. Default true.
    /// </summary>
    public bool ScaleFeatures { get; set; } = true;

    /// <summary>
    /// Networks trained from seeds <c>Seed</c>, <c>Seed + 1</c>, … and averaged inside one ONNX graph (the mean of their head
    /// values), 1 to 20. Each costs a full training run. Default 1.
    /// </summary>
    public int EnsembleSize { get; set; } = 1;

    /// <summary>Receives one report per epoch (loss: cross-entropy for classifiers, mean squared error of the scaled label for a regressor). Default null.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    internal SequenceModelOptions Clone() => CloneAs<SequenceModelOptions>();

    /// <inheritdoc/>
    private protected override void ValidateTask()
    {
        Require(FeaturesPerStep >= 1 && FeaturesPerStep <= 65536, nameof(FeaturesPerStep), FeaturesPerStep, "between 1 and 65536");
        Require(Pooling != SequencePooling.EveryStep && Enum.IsDefined(Pooling), nameof(Pooling), Pooling, "LastStep, Mean or MeanMax");
        Require(EnsembleSize >= 1 && EnsembleSize <= 20, nameof(EnsembleSize), EnsembleSize, "between 1 and 20");
        RequireColumn(FeatureColumnName, nameof(FeatureColumnName));
        RequireColumn(LabelColumnName, nameof(LabelColumnName));
        if (LengthColumnName is not null)
            RequireColumn(LengthColumnName, nameof(LengthColumnName));
    }
}
