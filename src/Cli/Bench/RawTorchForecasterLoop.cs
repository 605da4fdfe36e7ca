using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Cli.Bench;

/// <summary>
/// The baseline of the training benchmark: the forecaster's network (GRU + linear head on the final state), optimiser,
/// clipping, preprocessing and batch order written directly against TorchSharp, with none of the library around it.
/// With the same seed it starts from the same weights and sees the same batches as the estimator.
/// </summary>
internal static class RawTorchForecasterLoop
{
    /// <returns>The mean training loss of the last epoch.</returns>
    public static double Train(float[] series, int window, int hidden, int epochs, int batchSize, double learningRate, int seed)
    {
        // libtorch's generator is process-wide: seeding it outside the lock the trainers hold would change a fit running in parallel.
        lock (TorchGate.Lock)
            return TrainLocked(series, window, hidden, epochs, batchSize, learningRate, seed);
    }

    private static double TrainLocked(float[] series, int window, int hidden, int epochs, int batchSize, double learningRate, int seed)
    {
        // ln, then standard scaling over the whole series (no validation split), then each window relative to its own mean.
        var logs = series.Select(v => MathF.Log(v)).ToArray();
        double mean = logs.Select(v => (double)v).Average();
        double std = Math.Sqrt(logs.Select(v => (v - mean) * (v - mean)).Average());
        float center = (float)mean, scale = (float)std;
        var z = logs.Select(v => (v - center) / scale).ToArray();
        int n = z.Length - window;
        var x = new float[n * window];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            float sum = 0f;
            for (int j = 0; j < window; j++)
                sum += z[i + j];
            float level = sum / window;
            for (int j = 0; j < window; j++)
                x[i * window + j] = z[i + j] - level;
            y[i] = z[i + window] - level;
        }

        torch.manual_seed(seed);
        using var gru = nn.GRU(1, hidden, 1, batchFirst: true);
        using var head = nn.Linear(hidden, 1);
        var parameters = gru.parameters().Concat(head.parameters()).ToList();
        using var adam = torch.optim.Adam(parameters, learningRate);
        using var inputs = torch.tensor(x, new long[] { n, window, 1 });
        using var targets = torch.tensor(y, new long[] { n, 1 });
        var random = new Random(seed);
        var order = Enumerable.Range(0, n).ToArray();
        double lastLoss = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            double sum = 0;
            for (int start = 0; start < n; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                int count = Math.Min(batchSize, n - start);
                var index = torch.tensor(order.AsSpan(start, count).ToArray().Select(i => (long)i).ToArray());
                var (output, h) = gru.call(inputs.index_select(0, index));
                var loss = nn.functional.mse_loss(head.call(h[0]), targets.index_select(0, index));
                adam.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                adam.step();
                sum += loss.item<float>() * count;
            }
            lastLoss = sum / n;
        }
        return lastLoss;
    }
}
