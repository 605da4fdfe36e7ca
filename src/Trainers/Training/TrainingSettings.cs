namespace MlNetRnn.Trainers.Training;

/// <summary>Optimisation settings shared by every recurrent trainer.</summary>
internal sealed record TrainingSettings(
    int Epochs,
    int BatchSize,
    double LearningRate,
    double GradientClipNorm,
    int Patience,
    bool Shuffle,
    int Seed,
    bool RestoreBestWeights = true,
    TrainingStage Stage = TrainingStage.Training)
{
    /// <summary>Makes the run's learning-rate schedule (a new one per stage: schedules keep state); null for a constant rate.</summary>
    public Func<Training.LearningRateSchedule>? Schedule { get; init; }

    /// <summary>Prefix of the run's checkpoint stage name (e.g. <c>member2.</c>), so the runs of one fit keep separate checkpoints; null for none.</summary>
    public string? CheckpointPrefix { get; init; }

    /// <summary>0-based ensemble member being trained, and the ensemble's size, for progress reports.</summary>
    public int Member { get; init; }

    /// <summary>Members in the ensemble.</summary>
    public int Members { get; init; } = 1;
}
