using Google.Protobuf;
using MlNetRnn.Onnx.Protobuf;
using MlNetRnn.Transforms;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Export;

/// <summary>What every exported file must contain, read back with the project's own protobuf types.</summary>
public sealed class OnnxExportStructureTests
{
    private static ModelProto Export(RecurrentCellKind cell, int layers = 2, bool bidirectional = true, bool bias = true)
    {
        var arch = new RecurrentArchitecture(cell, 1, 4, layers, bidirectional, bias);
        var description = new ForecastingModelDescription(arch, 6, 2, new SeriesScaler(SeriesScalingKind.MinMax, false, 1, 2), true);
        return ModelProto.Parser.ParseFrom(ForecastingOnnxExporter.Export(description, RandomWeights.Create(arch, 2, 1)));
    }

    [Theory]
    [InlineData(RecurrentCellKind.Lstm, "LSTM")]
    [InlineData(RecurrentCellKind.Gru, "GRU")]
    [InlineData(RecurrentCellKind.RnnTanh, "RNN")]
    [InlineData(RecurrentCellKind.RnnRelu, "RNN")]
    public void OneRecurrentNodePerLayerWithCudaFriendlyAttributes(RecurrentCellKind cell, string opType)
    {
        var model = Export(cell);

        Assert.Equal(8, model.IrVersion);
        Assert.Equal(17, model.OpsetImport.Single(o => o.Domain == "").Version);
        var nodes = model.Graph.Node.Where(n => n.OpType == opType).ToList();
        Assert.Equal(2, nodes.Count);
        foreach (var node in nodes)
        {
            var attributes = node.Attribute.ToDictionary(a => a.Name);
            Assert.Equal(4, attributes["hidden_size"].I);
            Assert.Equal("bidirectional", attributes["direction"].S.ToStringUtf8());
            Assert.DoesNotContain("layout", attributes.Keys);
            Assert.DoesNotContain("clip", attributes.Keys);
            Assert.DoesNotContain("input_forget", attributes.Keys);
            Assert.All(attributes.Values, a => Assert.NotEqual(AttributeProto.Types.AttributeType.Undefined, a.Type));
            if (cell == RecurrentCellKind.Gru)
                Assert.Equal(1, attributes["linear_before_reset"].I);
            if (opType == "RNN")
                Assert.Equal(new[] { cell == RecurrentCellKind.RnnRelu ? "Relu" : "Tanh", cell == RecurrentCellKind.RnnRelu ? "Relu" : "Tanh" },
                    attributes["activations"].Strings.Select(s => s.ToStringUtf8()));
            Assert.Equal(4, node.Input.Count); // X, W, R, B: B always present, no sequence_lens or states here
        }
    }

    [Fact]
    public void InitializersAreNotGraphInputsAndBatchIsDynamic()
    {
        var model = Export(RecurrentCellKind.Lstm);

        var input = Assert.Single(model.Graph.Input);
        Assert.Equal("Features", input.Name);
        Assert.Equal("batch", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(6, input.Type.TensorType.Shape.Dim[1].DimValue);
        var output = Assert.Single(model.Graph.Output);
        Assert.Equal("Score", output.Name);
        Assert.Equal("batch", output.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(2, output.Type.TensorType.Shape.Dim[1].DimValue);
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name == "Features");
        Assert.All(model.Graph.Initializer, t => Assert.False(t.RawData.IsEmpty));
    }

    [Fact]
    public void BiasFreeNetworkStillGetsAnExplicitZeroBias()
    {
        var model = Export(RecurrentCellKind.Gru, layers: 1, bidirectional: false, bias: false);

        var b = model.Graph.Initializer.Single(t => t.Name == "rnn.l0.B");
        Assert.Equal(new long[] { 1, 2 * 3 * 4 }, b.Dims);
        Assert.All(b.RawData.ToByteArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void NodesAreTopologicallyOrderedWithUniqueNamesAndSsaValues()
    {
        var model = Export(RecurrentCellKind.Lstm);
        var defined = new HashSet<string>(model.Graph.Input.Select(i => i.Name).Concat(model.Graph.Initializer.Select(t => t.Name)));

        foreach (var node in model.Graph.Node)
        {
            Assert.All(node.Input.Where(i => i.Length > 0), i => Assert.Contains(i, defined));
            foreach (var o in node.Output.Where(o => o.Length > 0))
                Assert.True(defined.Add(o), $"value '{o}' defined twice");
        }
        Assert.Equal(model.Graph.Node.Count, model.Graph.Node.Select(n => n.Name).Distinct().Count());
        Assert.Contains("Score", defined);
    }

    [Theory]
    [InlineData(RecurrentCellKind.Lstm, 1, false)]
    [InlineData(RecurrentCellKind.Lstm, 3, true)]
    [InlineData(RecurrentCellKind.Gru, 2, false)]
    [InlineData(RecurrentCellKind.RnnTanh, 2, true)]
    public void EveryComputedValueIsUsedSoNoWorkIsWasted(RecurrentCellKind cell, int layers, bool bidirectional)
    {
        var model = Export(cell, layers, bidirectional);
        var consumed = new HashSet<string>(model.Graph.Node.SelectMany(n => n.Input).Concat(model.Graph.Output.Select(o => o.Name)));

        foreach (var node in model.Graph.Node)
        {
            foreach (var output in node.Output.Where(o => o.Length > 0))
                Assert.True(consumed.Contains(output), $"{node.OpType} output '{output}' is computed but never used");
        }
    }

    [Fact]
    public void MetadataDescribesEverythingNeededToUseTheModel()
    {
        var info = OnnxModelInfo.Read(Export(RecurrentCellKind.RnnRelu).ToByteArray());

        Assert.Equal("MlNetRnn", info.ProducerName);
        Assert.Equal("forecasting", info.Metadata[OnnxMetadataKeys.Task]);
        Assert.Equal("RNN_RELU", info.Metadata[OnnxMetadataKeys.Cell]);
        Assert.Equal("6", info.Metadata[OnnxMetadataKeys.Window]);
        Assert.Equal("2", info.Metadata[OnnxMetadataKeys.Horizon]);
        Assert.Equal("2", info.Metadata[OnnxMetadataKeys.NumLayers]);
        Assert.Equal("true", info.Metadata[OnnxMetadataKeys.Bidirectional]);
        Assert.Equal("MinMax", info.Metadata[OnnxMetadataKeys.ScalerKind]);
        Assert.Equal("1", info.Metadata[OnnxMetadataKeys.ScalerCenter]);
        Assert.Equal("2", info.Metadata[OnnxMetadataKeys.ScalerScale]);
        Assert.Equal("true", info.Metadata[OnnxMetadataKeys.ScalerInGraph]);
        Assert.Equal("Features", info.Metadata[OnnxMetadataKeys.InputName]);
        Assert.Equal("Score", info.Metadata[OnnxMetadataKeys.OutputName]);
        Assert.False(string.IsNullOrEmpty(info.Metadata[OnnxMetadataKeys.ExporterVersion]));
    }

    [Fact]
    public void ExtraMetadataCannotOverrideStandardKeys()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 2, 1, false);
        var description = new ForecastingModelDescription(arch, 3, 1, SeriesScaler.Identity, false);

        var ex = Assert.Throws<ArgumentException>(() => ForecastingOnnxExporter.Export(description, RandomWeights.Create(arch, 1, 1),
            new[] { new KeyValuePair<string, string>(OnnxMetadataKeys.Window, "99") }));

        Assert.Contains(OnnxMetadataKeys.Window, ex.Message);
    }

    [Fact]
    public void MissingOrMisshapenWeightsAreNamed()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 1, 4, 1, false);
        var description = new ForecastingModelDescription(arch, 3, 1, SeriesScaler.Identity, false);
        var gru = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 4, 1, false);

        var ex = Assert.Throws<ArgumentException>(() => ForecastingOnnxExporter.Export(description, RandomWeights.Create(gru, 1, 1)));

        Assert.Contains("rnn.weight_ih_l0", ex.Message);
        Assert.Contains("[12, 1]", ex.Message);
    }

    [Fact]
    public void TruncatedModelBytesAreRejected()
    {
        byte[] bytes = Export(RecurrentCellKind.Gru).ToByteArray();

        Assert.Throws<InvalidDataException>(() => OnnxModelInfo.Read(bytes[..(bytes.Length / 2)]));
    }
}
