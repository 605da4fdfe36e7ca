namespace MlNetRnn.Trainers.Forecasting;

/// <summary>
/// The ensemble members' scaled-space forecasts for a set of windows, summed in two parts: the networks' outputs and the references
/// they correct (seasonal naive or the window's level). The ensemble forecast is <c>mean(references) + weight · mean(outputs)</c>, as the
/// exported graph computes it.
/// </summary>
internal sealed class ForecastSums
{
    /// <summary>The network weights <see cref="ChooseNetworkWeight"/> compares, the plain ensemble first (it wins ties).</summary>
    public static readonly float[] Candidates = { 1f, 0.5f, 0f };

    private readonly float[] _outputs;
    private readonly float[] _references;

    /// <param name="length">Windows × horizon values.</param>
    public ForecastSums(int length)
    {
        _outputs = new float[length];
        _references = new float[length];
    }

    /// <summary>Windows × horizon values.</summary>
    public int Length => _outputs.Length;

    /// <summary>Adds one member's outputs and the references it corrects.</summary>
    public void Add(float[] outputs, ReadOnlySpan<float> references)
    {
        for (int i = 0; i < _outputs.Length; i++)
        {
            _outputs[i] += outputs[i];
            _references[i] += references[i];
        }
    }

    /// <summary>The ensemble's forecast with the networks' mean correction weighted by <paramref name="weight"/>.</summary>
    public float[] Forecast(int members, float weight)
    {
        var forecast = new float[_outputs.Length];
        for (int i = 0; i < forecast.Length; i++)
            forecast[i] = _references[i] / members + weight * (_outputs[i] / members);
        return forecast;
    }

    /// <summary>
    /// The candidate weight whose forecast has the lowest mean absolute error against <paramref name="targets"/> (scaled space): 1 unless
    /// shrinking the networks' correction towards the reference does strictly better on these (validation) windows.
    /// </summary>
    /// <param name="targets">The windows' targets in scaled space.</param>
    /// <param name="members">Ensemble members summed.</param>
    /// <param name="finish">Maps the ensemble's forecast to what the model ships (the blend with the linear part), or null.</param>
    public float ChooseNetworkWeight(ReadOnlySpan<float> targets, int members, Func<float[], float[]>? finish = null)
    {
        float best = Candidates[0];
        double bestError = double.PositiveInfinity;
        foreach (float weight in Candidates)
        {
            var forecast = Forecast(members, weight);
            if (finish is not null)
                forecast = finish(forecast);
            double error = 0;
            for (int i = 0; i < forecast.Length; i++)
                error += Math.Abs(targets[i] - forecast[i]);
            if (error < bestError)
            {
                (best, bestError) = (weight, error);
            }
        }
        return best;
    }
}
