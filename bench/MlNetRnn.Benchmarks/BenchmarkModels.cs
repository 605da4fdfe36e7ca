using MlNetRnn.Transforms;

namespace MlNetRnn.Benchmarks;

/// <summary>Models with random weights in the shapes the benchmarks score (speed does not depend on the weights' values).</summary>
internal static class BenchmarkModels
{
    public static byte[] Forecaster(int window, int hidden)
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, hidden, 1, false);
        return ForecastingOnnxExporter.Export(new ForecastingModelDescription(arch, window, 1, SeriesScaler.Identity, true), Weights(arch, 1, 0, 1));
    }

    public static byte[] LanguageModel(int vocabulary, int embedding, int hidden, int layers, bool lengths)
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, embedding, hidden, layers, false);
        var description = new SequenceModelDescription(arch, vocabulary)
        {
            VocabularySize = vocabulary, Pooling = SequencePooling.EveryStep, Activation = HeadActivation.Softmax, UsesLengths = lengths,
        };
        return SequenceOnnxExporter.Export(description, Weights(arch, vocabulary, vocabulary, 2));
    }

    private static WeightSet Weights(RecurrentArchitecture arch, int outputs, int vocabulary, int seed)
    {
        var random = new Random(seed);
        float[] R(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
        var tensors = new List<NamedTensor>();
        if (vocabulary > 0)
            tensors.Add(new NamedTensor("embedding.weight", new long[] { vocabulary, arch.InputSize }, R(vocabulary * arch.InputSize)));
        int g = arch.GateCount, h = arch.HiddenSize;
        for (int l = 0; l < arch.NumLayers; l++)
        {
            int input = arch.LayerInputSize(l);
            tensors.Add(new NamedTensor($"rnn.weight_ih_l{l}", new long[] { g * h, input }, R(g * h * input)));
            tensors.Add(new NamedTensor($"rnn.weight_hh_l{l}", new long[] { g * h, h }, R(g * h * h)));
            tensors.Add(new NamedTensor($"rnn.bias_ih_l{l}", new long[] { g * h }, R(g * h)));
            tensors.Add(new NamedTensor($"rnn.bias_hh_l{l}", new long[] { g * h }, R(g * h)));
        }
        tensors.Add(new NamedTensor("head.weight", new long[] { outputs, arch.OutputSize }, R(outputs * arch.OutputSize)));
        tensors.Add(new NamedTensor("head.bias", new long[] { outputs }, R(outputs)));
        return new WeightSet(tensors);
    }
}
