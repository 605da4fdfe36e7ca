namespace MlNetRnn.Onnx.Generation;

/// <summary>Picks the next token from a head's logits: greedy, or sampled with a temperature and an optional top-k cut.</summary>
public static class TokenSampler
{
    /// <summary>Returns the chosen token id.</summary>
    /// <param name="logits">Unnormalised scores, one per token.</param>
    /// <param name="temperature">0 for greedy (the highest logit); otherwise logits are divided by it before the softmax (lower is more conservative).</param>
    /// <param name="topK">Sample only among the k highest logits (tokens tied with the k-th are kept too); 0 for all. A top-k cut sorts a copy of the logits.</param>
    /// <param name="random">The random source (seed it for reproducible samples).</param>
    /// <param name="scratch">Optional buffer of at least <c>logits.Length</c> doubles for the weights, so sampling without top-k allocates nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException">Temperature is negative or not finite, or top-k is negative.</exception>
    public static int Sample(ReadOnlySpan<float> logits, double temperature, int topK, Random random, double[]? scratch = null)
    {
        if (logits.IsEmpty)
            throw new ArgumentException("There are no logits to sample from.", nameof(logits));
        if (temperature < 0 || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be 0 (greedy) or positive.");
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        ArgumentNullException.ThrowIfNull(random);
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        if (temperature == 0)
            return best;

        // Keep the k highest logits: everything below the k-th largest value gets weight 0.
        double cut = double.NegativeInfinity;
        if (topK > 0 && topK < logits.Length)
        {
            var sorted = logits.ToArray();
            Array.Sort(sorted);
            cut = sorted[^topK];
        }
        var weights = scratch is not null && scratch.Length >= logits.Length ? scratch : new double[logits.Length];
        double max = logits[best], sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            // Subtracting the maximum keeps exp() finite at any temperature.
            double w = logits[i] >= cut ? Math.Exp((logits[i] - max) / temperature) : 0;
            weights[i] = w;
            sum += w;
        }
        double u = random.NextDouble() * sum;
        for (int i = 0; i < logits.Length; i++)
        {
            u -= weights[i];
            if (u < 0 && weights[i] > 0)
                return i;
        }
        return best;
    }
}
