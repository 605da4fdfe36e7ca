using MlNetRnn.Transforms;

namespace MlNetRnn.Trainers.LanguageModeling;

/// <summary>
/// Options of <see cref="LanguageModelTrainer"/>: a character (or word) language model trained with truncated
/// back-propagation through time. Defaults are the classic char-RNN: a 2-layer LSTM with 256 hidden units over 100-character
/// sequences in batches of 64. Every range is checked when the trainer is created.
/// </summary>
public sealed class LanguageModelOptions : RecurrentTrainerOptions
{
    /// <summary>Creates options with the language model's defaults (the classic char-RNN).</summary>
    public LanguageModelOptions()
    {
        HiddenSize = 256;
        NumberOfLayers = 2;
        Epochs = 50;
        BatchSize = 64;
        LearningRate = 0.002;
        LearningRateSchedule = LearningRateScheduleKind.StepDecay;
        LearningRateDecay = 0.95;
        LearningRateDecayEpochs = 1;
        GradientClipNorm = 5;
        Patience = 3;
    }

    /// <summary>Text column (String) whose rows, joined with newlines in row order, form the corpus. Default "Text".</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>Characters or words. Default characters.</summary>
    public TextUnit Unit { get; set; } = TextUnit.Character;

    /// <summary>Tokens seen fewer times are left out of the vocabulary and become the unknown token (word models). Default 1.</summary>
    public int MinimumFrequency { get; set; } = 1;

    /// <summary>Most tokens in the vocabulary, specials included; 0 for no limit. Default 0.</summary>
    public int MaximumVocabularySize { get; set; }

    /// <summary>Embedding width, 1 to 4096. Default 64.</summary>
    public int EmbeddingSize { get; set; } = 64;

    /// <summary>Steps per truncated back-propagation window, 1 to 10000; the state is carried (detached) from one window to the next. Default 100.</summary>
    public int SequenceLength { get; set; } = 100;

    /// <summary>Wall-clock training budget; training stops after the batch that exceeds it (the partial epoch is validated and counted). Null for none. Default null.</summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>Receives a report after every batch and after every epoch's validation. Default null.</summary>
    public IProgress<LanguageModelProgress>? Progress { get; set; }

    internal LanguageModelOptions Clone() => CloneAs<LanguageModelOptions>();

    /// <inheritdoc/>
    private protected override void ValidateTask()
    {
        Require(MinimumFrequency >= 1, nameof(MinimumFrequency), MinimumFrequency, ">= 1");
        Require(MaximumVocabularySize == 0 || MaximumVocabularySize >= 2, nameof(MaximumVocabularySize), MaximumVocabularySize, "0 (no limit) or >= 2");
        Require(EmbeddingSize >= 1 && EmbeddingSize <= 4096, nameof(EmbeddingSize), EmbeddingSize, "between 1 and 4096");
        Require(SequenceLength >= 1 && SequenceLength <= 10000, nameof(SequenceLength), SequenceLength, "between 1 and 10000");
        Require(TimeBudget is null || TimeBudget > TimeSpan.Zero, nameof(TimeBudget), TimeBudget, "positive or null");
        Require(Enum.IsDefined(Unit), nameof(Unit), Unit, "a defined TextUnit");
        RequireColumn(TextColumnName, nameof(TextColumnName));
    }
}
