using Google.Protobuf;
using MlNetRnn.Onnx.Protobuf;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>What a sequence model's file must contain: typed optional inputs and outputs, CUDA-friendly recurrent nodes, no wasted work, metadata.</summary>
public sealed class SequenceExportStructureTests
{
    private static ModelProto Export(SequenceModelDescription description, int vocabulary = 0) =>
        ModelProto.Parser.ParseFrom(SequenceOnnxExporter.Export(description, RandomWeights.Create(description.Architecture, description.OutputSize, 3, vocabularySize: vocabulary,
            pooling: description.Pooling, wide: description.WideTokens)));

    private static (int ElemType, string[] Dims) Signature(ValueInfoProto v) =>
        (v.Type.TensorType.ElemType, v.Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());

    [Fact]
    public void StatefulLanguageModelGraphHasTypedInputsAndOutputs()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 8, 16, 2, false);
        var model = Export(new SequenceModelDescription(arch, 30)
        {
            Task = "charlm", VocabularySize = 30, Pooling = SequencePooling.EveryStep, Activation = HeadActivation.Softmax, UsesLengths = true, ExposesState = true,
        }, 30);

        var inputs = model.Graph.Input.ToDictionary(i => i.Name, Signature);
        Assert.Equal(new[] { "tokens", "lengths", "h0", "c0" }, model.Graph.Input.Select(i => i.Name));
        Assert.Equal((int)TensorProto.Types.DataType.Int64, inputs["tokens"].ElemType);
        Assert.Equal(new[] { "batch", "seq" }, inputs["tokens"].Dims);
        Assert.Equal((int)TensorProto.Types.DataType.Int32, inputs["lengths"].ElemType);
        Assert.Equal(new[] { "batch" }, inputs["lengths"].Dims);
        Assert.Equal(new[] { "2", "batch", "16" }, inputs["h0"].Dims);
        var outputs = model.Graph.Output.ToDictionary(o => o.Name, Signature);
        Assert.Equal(new[] { "logits", "probabilities", "h_n", "c_n" }, model.Graph.Output.Select(o => o.Name));
        Assert.Equal(new[] { "batch", "seq", "30" }, outputs["probabilities"].Dims);
        Assert.Equal(new[] { "2", "batch", "16" }, outputs["c_n"].Dims);

        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet();
        Assert.DoesNotContain(model.Graph.Input, i => initializers.Contains(i.Name));
        foreach (var node in model.Graph.Node.Where(n => n.OpType == "LSTM"))
        {
            // X, W, R, B, sequence_lens, initial_h, initial_c: B always present, lengths wired to every layer, per-layer state slices.
            Assert.Equal(7, node.Input.Count);
            Assert.Equal("lengths", node.Input[4]);
            Assert.NotEqual("", node.Input[5]);
            Assert.NotEqual("", node.Input[6]);
            var names = node.Attribute.Select(a => a.Name).ToHashSet();
            Assert.Subset(new HashSet<string> { "hidden_size", "direction" }, names);
            Assert.Empty(names.Intersect(new[] { "layout", "clip", "input_forget", "activation_alpha", "activation_beta" }));
        }
    }

    public static TheoryData<RecurrentCellKind, SequencePooling, bool, bool> Combinations()
    {
        var data = new TheoryData<RecurrentCellKind, SequencePooling, bool, bool>();
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
        foreach (var pooling in Enum.GetValues<SequencePooling>())
        foreach (bool lengths in new[] { false, true })
        foreach (bool state in new[] { false, true })
            data.Add(cell, pooling, lengths, state);
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void EveryComputedValueIsUsedAndRecurrentNodesStayCudaFriendly(RecurrentCellKind cell, SequencePooling pooling, bool lengths, bool state)
    {
        var arch = new RecurrentArchitecture(cell, 3, 4, 3, true);
        var model = Export(new SequenceModelDescription(arch, 2) { Pooling = pooling, Activation = HeadActivation.Sigmoid, UsesLengths = lengths, ExposesState = state });
        var consumed = new HashSet<string>(model.Graph.Node.SelectMany(n => n.Input).Concat(model.Graph.Output.Select(o => o.Name)));

        foreach (var node in model.Graph.Node)
        {
            foreach (var output in node.Output.Where(o => o.Length > 0))
                Assert.True(consumed.Contains(output), $"{node.OpType} output '{output}' is computed but never used");
            if (node.OpType is "LSTM" or "GRU" or "RNN")
            {
                var attributes = node.Attribute.ToDictionary(a => a.Name);
                Assert.DoesNotContain("layout", attributes.Keys);
                Assert.DoesNotContain("clip", attributes.Keys);
                if (cell == RecurrentCellKind.Gru)
                    Assert.Equal(1, attributes["linear_before_reset"].I);
                Assert.Equal(lengths ? "lengths" : "", node.Input.Count > 4 ? node.Input[4] : "");
            }
        }
        var inputNames = model.Graph.Input.Select(i => i.Name).ToHashSet();
        Assert.Equal(lengths, inputNames.Contains("lengths"));
        Assert.Equal(state, inputNames.Contains("h0"));
        Assert.Equal(state && cell == RecurrentCellKind.Lstm, inputNames.Contains("c0"));
    }

    [Fact]
    public void MetadataDescribeTheSequenceModel()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 2, 5, 1, true, HasBias: false);
        var scaling = new AffineScaling(new[] { 1.5f, -2f }, new[] { 0.5f, 4f });
        var info = OnnxModelInfo.Read(Export(new SequenceModelDescription(arch, 1) { Pooling = SequencePooling.Mean, InputScaling = scaling, OutputScaling = new AffineScaling(new[] { 10f }, new[] { 2f }) }).ToByteArray());

        var m = info.Metadata;
        Assert.Equal("sequence", m[OnnxMetadataKeys.Task]);
        Assert.Equal("GRU", m[OnnxMetadataKeys.Cell]);
        Assert.Equal("false", m[OnnxMetadataKeys.Bias]);
        Assert.Equal("mean", m[OnnxMetadataKeys.Pooling]);
        Assert.Equal("linear", m[OnnxMetadataKeys.HeadActivation]);
        Assert.Equal("features", m[OnnxMetadataKeys.InputKind]);
        Assert.Equal("[1.5,-2]", m[OnnxMetadataKeys.InputScalingCenter]);
        Assert.Equal("[2]", m[OnnxMetadataKeys.OutputScalingScale]);
        Assert.Equal("true", m[OnnxMetadataKeys.ScalerInGraph]);
        Assert.Equal("output", m[OnnxMetadataKeys.OutputName]);
        Assert.Matches("^[0-9a-f]{64}$", m[OnnxMetadataKeys.WeightsSha256]);
    }

    [Fact]
    public void InvalidCombinationsAreRejectedWithTheReason()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 3, 4, 1, false);
        var weights = RandomWeights.Create(arch, 1, 1);
        Assert.Contains("at least 2 outputs", Assert.Throws<ArgumentException>(() =>
            SequenceOnnxExporter.Export(new SequenceModelDescription(arch, 1) { Activation = HeadActivation.Softmax }, weights)).Message);
        Assert.Contains("linear head", Assert.Throws<ArgumentException>(() =>
            SequenceOnnxExporter.Export(new SequenceModelDescription(arch, 1) { Activation = HeadActivation.Sigmoid, OutputScaling = new AffineScaling(new[] { 0f }, new[] { 1f }) }, weights)).Message);
        Assert.Contains("input size is 3", Assert.Throws<ArgumentException>(() =>
            SequenceOnnxExporter.Export(new SequenceModelDescription(arch, 1) { InputScaling = new AffineScaling(new[] { 0f }, new[] { 1f }) }, weights)).Message);
        Assert.Contains("embedding.weight", Assert.Throws<KeyNotFoundException>(() =>
            SequenceOnnxExporter.Export(new SequenceModelDescription(arch, 1) { VocabularySize = 5 }, weights)).Message);
        Assert.Contains("forecasters", Assert.Throws<ArgumentException>(() =>
            SequenceOnnxExporter.Export(new SequenceModelDescription(arch, 1) { Task = "forecasting" }, weights)).Message);
        Assert.Contains("non-zero", Assert.Throws<ArgumentException>(() => new AffineScaling(new[] { 0f }, new[] { 0f })).Message);
    }
}
