using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace MlNetRnn.Cli.Bench;

/// <summary>
/// Scoring a 2-layer LSTM-256 character model (sequence 100, vocabulary 65, random weights) four ways on the same rows: the library's
/// batched scorer, a raw ONNX Runtime session with prebuilt tensors, ML.NET's ApplyOnnxModel row path, and TorchSharp eager (no_grad).
/// </summary>
internal static class LanguageModelScoringBench
{
    internal sealed record Result(double BatchedRowsPerSecond, double RawRowsPerSecond, double MlNetRowsPerSecond, double BatchedRowsPerSecondBesideMlNet,
        double TorchRowsPerSecond, double BatchedBatch1Seconds, double RawBatch1Seconds, double GigaflopsBatched);

    private sealed class TokenRow
    {
        [VectorType(Sequence)]
        public long[] tokens { get; set; } = Array.Empty<long>();
    }

    private const int Sequence = 100, Vocabulary = 65, Hidden = 256, Embedding = 64, Layers = 2;

    /// <summary>Median seconds of two actions timed alternately (A, B, A, B, …) after one warm-up each, so drift in machine speed cancels.</summary>
    private static (double A, double B) Alternate(Action a, Action b, int repeats)
    {
        a();
        b();
        var timesA = new List<double>();
        var timesB = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            a();
            timesA.Add(sw.Elapsed.TotalSeconds);
            sw.Restart();
            b();
            timesB.Add(sw.Elapsed.TotalSeconds);
        }
        timesA.Sort();
        timesB.Sort();
        return (timesA[timesA.Count / 2], timesB[timesB.Count / 2]);
    }

    public static Result Run(int rows, int repeats)
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, Embedding, Hidden, Layers, false);
        var description = new SequenceModelDescription(arch, Vocabulary) { VocabularySize = Vocabulary, Pooling = SequencePooling.EveryStep, Activation = HeadActivation.Softmax };
        var random = new Random(1);
        var tensors = new List<NamedTensor>();
        float[] R(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
        tensors.Add(new NamedTensor("embedding.weight", new long[] { Vocabulary, Embedding }, R(Vocabulary * Embedding)));
        for (int l = 0; l < Layers; l++)
        {
            int input = l == 0 ? Embedding : Hidden;
            tensors.Add(new NamedTensor($"rnn.weight_ih_l{l}", new long[] { 4 * Hidden, input }, R(4 * Hidden * input)));
            tensors.Add(new NamedTensor($"rnn.weight_hh_l{l}", new long[] { 4 * Hidden, Hidden }, R(4 * Hidden * Hidden)));
            tensors.Add(new NamedTensor($"rnn.bias_ih_l{l}", new long[] { 4 * Hidden }, R(4 * Hidden)));
            tensors.Add(new NamedTensor($"rnn.bias_hh_l{l}", new long[] { 4 * Hidden }, R(4 * Hidden)));
        }
        tensors.Add(new NamedTensor("head.weight", new long[] { Vocabulary, Hidden }, R(Vocabulary * Hidden)));
        tensors.Add(new NamedTensor("head.bias", new long[] { Vocabulary }, R(Vocabulary)));
        var weights = new WeightSet(tensors);
        byte[] withLengths = SequenceOnnxExporter.Export(description with { UsesLengths = true }, weights);
        byte[] plain = SequenceOnnxExporter.Export(description, weights);
        var ids = Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, Sequence).Select(_ => (long)random.Next(Vocabulary)).ToArray()).ToArray();

        using var scorer = new OnnxSequenceScorer(withLengths, new OnnxScoringOptions { BatchSize = 256, IntraOpThreads = null });
        using var session = new InferenceSession(plain);
        using var runOptions = new RunOptions();
        var flat = ids.SelectMany(r => r).ToArray();
        var output = new float[rows * Sequence * Vocabulary];
        using var inputValue = OrtValue.CreateTensorValueFromMemory(flat, new long[] { rows, Sequence });
        using var outputValue = OrtValue.CreateTensorValueFromMemory(output, new long[] { rows, Sequence, Vocabulary });
        string[] inNames = { SequenceOnnxNames.Tokens }, outNames = { SequenceOnnxNames.Probabilities };
        double Time(Action a)
        {
            a();
            var times = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                a();
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
        // Ours through the span call (rows back to back in, results back to back out: no per-row arrays), alternating with the raw run.
        var lengths = Enumerable.Repeat(Sequence, rows).ToArray();
        var ourOutput = new float[rows * Sequence * Vocabulary];
        var (batched, raw) = Alternate(() => scorer.Score(flat, lengths, ourOutput),
            () => session.Run(runOptions, inNames, new[] { inputValue }, outNames, new[] { outputValue }), repeats);

        // Batch 1: one row per call, prebuilt tensors for the raw session.
        var one = ids[0];
        int[] oneLength = { Sequence };
        var oneOut = new float[Sequence * Vocabulary];
        var oneRawOut = new float[Sequence * Vocabulary];
        using var oneIn = OrtValue.CreateTensorValueFromMemory(ids[0], new long[] { 1, Sequence });
        using var oneOutValue = OrtValue.CreateTensorValueFromMemory(oneRawOut, new long[] { 1, Sequence, Vocabulary });
        const int calls = 50;
        var (batch1Ours, batch1Raw) = Alternate(() => { for (int i = 0; i < calls; i++) scorer.Score(one, oneLength, oneOut); },
            () => { for (int i = 0; i < calls; i++) session.Run(runOptions, inNames, new[] { oneIn }, outNames, new[] { oneOutValue }); }, repeats);
        batch1Ours /= calls;
        batch1Raw /= calls;

        // ML.NET's row path: ApplyOnnxModel on a tokens column, one row per run.
        var ml = new MLContext(1);
        string file = Path.Combine(Path.GetTempPath(), $"mlnetrnn-bench-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(file, plain);
        double mlnet, batchedAgain;
        try
        {
            var view = ml.Data.LoadFromEnumerable(ids.Select(r => new TokenRow { tokens = r }));
            // The graph's sequence dimension is symbolic; ML.NET needs it pinned to size its vector columns.
            var shapes = new Dictionary<string, int[]>
            {
                [SequenceOnnxNames.Tokens] = new[] { 1, Sequence },
                [SequenceOnnxNames.Probabilities] = new[] { 1, Sequence, Vocabulary },
            };
            using var transformer = ml.Transforms.ApplyOnnxModel(new[] { SequenceOnnxNames.Probabilities }, new[] { SequenceOnnxNames.Tokens }, file, shapes, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100).Fit(view);
            (batchedAgain, mlnet) = Alternate(() => scorer.Score(flat, lengths, ourOutput), () =>
            {
                var scored = transformer.Transform(view);
                using var cursor = scored.GetRowCursor(new[] { scored.Schema[SequenceOnnxNames.Probabilities] });
                var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema[SequenceOnnxNames.Probabilities]);
                VBuffer<float> buffer = default;
                while (cursor.MoveNext())
                    getter(ref buffer);
            }, repeats);
        }
        finally
        {
            File.Delete(file);
        }

        // TorchSharp eager on the same batch, no gradients.
        double torchSeconds;
        lock (Trainers.Training.TorchGate.Lock)
        {
            using var network = new Trainers.Network.RecurrentSequenceNetwork(description);
            network.LoadWeights(weights);
            network.eval();
            using var noGrad = torch.no_grad();
            using var x = torch.tensor(flat, new long[] { rows, Sequence });
            torchSeconds = Time(() =>
            {
                using var scope = torch.NewDisposeScope();
                var y = network.call(x);
                torch.softmax(y, -1).data<float>();
            });
        }

        // Useful work per row: per step, 2 layers of 4 gates over [input + hidden] and the head.
        double flopsPerRow = 2.0 * Sequence * (4.0 * Hidden * (Embedding + Hidden) + 4.0 * Hidden * (Hidden + Hidden) + Hidden * Vocabulary);
        return new Result(rows / batched, rows / raw, rows / mlnet, rows / batchedAgain, rows / torchSeconds, batch1Ours, batch1Raw, flopsPerRow * rows / batched / 1e9);
    }
}
