namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Sets the optimizer's learning rate after each epoch. Stateful schedules keep what they need in <see cref="State"/>, so a
/// checkpoint restores them exactly.
/// </summary>
internal abstract class LearningRateSchedule
{
    /// <summary>The rate for the epoch after <paramref name="epoch"/>, given the current and initial rates and the epoch's monitored loss.</summary>
    public abstract double Next(double current, double initial, int epoch, double monitored);

    /// <summary>What the schedule remembers between epochs (empty for stateless schedules).</summary>
    public virtual double[] State => Array.Empty<double>();

    /// <summary>Restores <see cref="State"/> from a checkpoint.</summary>
    public virtual void LoadState(double[] state)
    {
    }

    /// <summary>Builds a schedule from its kind and settings.</summary>
    /// <param name="kind">The schedule.</param>
    /// <param name="factor">Multiplier of step decay and plateau reduction, in (0, 1].</param>
    /// <param name="every">Epochs between step decays, or the plateau patience.</param>
    /// <param name="epochs">The epoch budget (cosine's period).</param>
    /// <param name="minimum">Floor of cosine and plateau schedules.</param>
    public static LearningRateSchedule Create(LearningRateScheduleKind kind, double factor, int every, int epochs, double minimum) => kind switch
    {
        LearningRateScheduleKind.Constant => new ConstantSchedule(),
        LearningRateScheduleKind.StepDecay => new StepDecaySchedule(factor, every),
        LearningRateScheduleKind.Cosine => new CosineSchedule(epochs, minimum),
        LearningRateScheduleKind.ReduceOnPlateau => new PlateauSchedule(factor, every, minimum),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown learning-rate schedule."),
    };
}

/// <summary>Keeps the rate.</summary>
internal sealed class ConstantSchedule : LearningRateSchedule
{
    public override double Next(double current, double initial, int epoch, double monitored) => current;
}

/// <summary>Multiplies the rate by <c>factor</c> after every <c>every</c> epochs (repeated multiplication, as a decaying loop does).</summary>
internal sealed class StepDecaySchedule(double factor, int every) : LearningRateSchedule
{
    public override double Next(double current, double initial, int epoch, double monitored) =>
        epoch % Math.Max(1, every) == 0 ? current * factor : current;
}

/// <summary>Cosine annealing: <c>min + (initial − min)·(1 + cos(π·epoch/epochs))/2</c> for the next epoch.</summary>
internal sealed class CosineSchedule(int epochs, double minimum) : LearningRateSchedule
{
    public override double Next(double current, double initial, int epoch, double monitored) =>
        minimum + (initial - minimum) * (1 + Math.Cos(Math.PI * Math.Min(epoch, epochs) / Math.Max(1, epochs))) / 2;
}

/// <summary>Multiplies the rate by <c>factor</c> (not below <c>minimum</c>) after <c>patience</c> epochs without a better monitored loss.</summary>
internal sealed class PlateauSchedule(double factor, int patience, double minimum) : LearningRateSchedule
{
    private double _best = double.PositiveInfinity;
    private int _badEpochs;

    public override double Next(double current, double initial, int epoch, double monitored)
    {
        if (monitored < _best)
        {
            _best = monitored;
            _badEpochs = 0;
            return current;
        }
        if (++_badEpochs < Math.Max(1, patience))
            return current;
        _badEpochs = 0;
        return Math.Max(minimum, current * factor);
    }

    public override double[] State => new[] { _best, _badEpochs };

    public override void LoadState(double[] state)
    {
        if (state.Length != 2)
            throw new InvalidDataException($"A plateau schedule's state has 2 values; the checkpoint has {state.Length}.");
        _best = state[0];
        _badEpochs = (int)state[1];
    }
}
