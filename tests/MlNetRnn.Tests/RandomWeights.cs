
namespace MlNetRnn.Tests;

/// <summary>Seeded random weights for an optional embedding, a recurrent stack and a linear head, in PyTorch names and layouts.</summary>
internal static class RandomWeights
{
    /// <param name="arch">The recurrent stack.</param>
    /// <param name="outputs">Head outputs.</param>
    /// <param name="seed">Seed of the values.</param>
    /// <param name="range">Values are uniform in ±range.</param>
    /// <param name="vocabularySize">Rows of the embedding (0: float input, no embedding).</param>
    /// <param name="pooling">The head's pooling: mean + max reads twice the stack's width.</param>
    /// <param name="wide">Adds the wide part's <c>wide.weight</c> <c>[vocabulary, outputs]</c>.</param>
    public static WeightSet Create(RecurrentArchitecture arch, int outputs, int seed, float range = 0.6f, int vocabularySize = 0,
        SequencePooling pooling = SequencePooling.LastStep, bool wide = false)
    {
        var random = new Random(seed);
        float[] R(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(random.NextDouble() * 2 - 1) * range).ToArray();
        var tensors = new List<NamedTensor>();
        if (vocabularySize > 0)
            tensors.Add(new NamedTensor("embedding.weight", new long[] { vocabularySize, arch.InputSize }, R(vocabularySize * arch.InputSize)));
        int g = arch.GateCount, h = arch.HiddenSize;
        for (int layer = 0; layer < arch.NumLayers; layer++)
        {
            for (int dir = 0; dir < arch.NumDirections; dir++)
            {
                bool reverse = dir == 1;
                int inSize = arch.LayerInputSize(layer);
                tensors.Add(new NamedTensor("rnn." + RecurrentArchitecture.ParameterName("weight_ih", layer, reverse), new long[] { g * h, inSize }, R(g * h * inSize)));
                tensors.Add(new NamedTensor("rnn." + RecurrentArchitecture.ParameterName("weight_hh", layer, reverse), new long[] { g * h, h }, R(g * h * h)));
                if (arch.HasBias)
                {
                    tensors.Add(new NamedTensor("rnn." + RecurrentArchitecture.ParameterName("bias_ih", layer, reverse), new long[] { g * h }, R(g * h)));
                    tensors.Add(new NamedTensor("rnn." + RecurrentArchitecture.ParameterName("bias_hh", layer, reverse), new long[] { g * h }, R(g * h)));
                }
            }
        }
        int headInputs = new SequenceModelDescription(arch, outputs) { Pooling = pooling }.HeadInputSize;
        tensors.Add(new NamedTensor("head.weight", new long[] { outputs, headInputs }, R(outputs * headInputs)));
        tensors.Add(new NamedTensor("head.bias", new long[] { outputs }, R(outputs)));
        if (wide)
            tensors.Add(new NamedTensor("wide.weight", new long[] { vocabularySize, outputs }, R(vocabularySize * outputs)));
        return new WeightSet(tensors);
    }
}
