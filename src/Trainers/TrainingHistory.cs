namespace MlNetRnn.Trainers;

/// <summary>Losses per epoch and the epoch whose weights were kept.</summary>
public sealed class TrainingHistory
{
    /// <summary>Creates a history.</summary>
    public TrainingHistory(IReadOnlyList<double> trainLoss, IReadOnlyList<double> validationLoss, int bestEpoch, bool stoppedEarly, TimeSpan duration,
        IReadOnlyList<double>? refitTrainLoss = null, int resumedEpochs = 0)
    {
        ResumedEpochs = resumedEpochs;
        RefitTrainLoss = refitTrainLoss ?? Array.Empty<double>();
        TrainLoss = trainLoss;
        ValidationLoss = validationLoss;
        BestEpoch = bestEpoch;
        StoppedEarly = stoppedEarly;
        Duration = duration;
    }

    /// <summary>Mean training loss per epoch (MSE in scaled space).</summary>
    public IReadOnlyList<double> TrainLoss { get; }

    /// <summary>Validation loss per epoch; empty when there was no validation split.</summary>
    public IReadOnlyList<double> ValidationLoss { get; }

    /// <summary>
    /// 1-based epoch with the lowest validation loss (training loss without validation): the epoch whose weights were kept, or, after a
    /// refit, the number of epochs the refit ran.
    /// </summary>
    public int BestEpoch { get; }

    /// <summary>Number of epochs run.</summary>
    public int EpochsRun => TrainLoss.Count;

    /// <summary>Whether early stopping ended training before the epoch budget.</summary>
    public bool StoppedEarly { get; }

    /// <summary>
    /// Training loss per epoch of the refit on every window (<see cref="ForecasterOptions.RefitOnAllWindows"/>), which ran
    /// <see cref="BestEpoch"/> epochs from the same initial weights; empty when there was no refit. The model holds the refit's weights.
    /// </summary>
    public IReadOnlyList<double> RefitTrainLoss { get; }

    /// <summary>
    /// Epochs (over every stage) that a resumed fit took from a checkpoint instead of training them again; 0 for a fit that ran from
    /// the start (<see cref="RecurrentTrainerOptions.Resume"/>).
    /// </summary>
    public int ResumedEpochs { get; }

    /// <summary>Wall-clock training time, refit included (excluding export and the parity check).</summary>
    public TimeSpan Duration { get; }
}
