using Microsoft.ML;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Forecasting;

/// <summary>Which forecasters export an unrolled stack, and that such a fit passes its ONNX parity check and forecasts like TorchSharp.</summary>
public sealed class ForecasterUnrolledGraphTests
{
    [Theory]
    [InlineData(RecurrentCellKind.Gru, true)]
    [InlineData(RecurrentCellKind.Lstm, false)]
    public void AGruForecasterExportsAnUnrolledStackAndAnLstmKeepsItsNode(RecurrentCellKind cell, bool unrolled)
    {
        var ml = new MLContext(1);
        using var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(cell, epochs: 2)).Fit(TestData.AsView(ml, TestData.AirPassengers()));
        byte[] onnx = model.GetOnnxModel();
        var graph = MlNetRnn.Onnx.Protobuf.ModelProto.Parser.ParseFrom(onnx).Graph;
        Assert.Equal(!unrolled, graph.Node.Any(n => n.OpType is "GRU" or "LSTM"));
        Assert.Equal(unrolled, OnnxModelInfo.Read(onnx).Metadata.ContainsKey(OnnxMetadataKeys.UnrolledSteps));
        // The fit's own check compared ONNX Runtime on this graph with TorchSharp on held-out windows.
        Assert.True(model.Parity!.Passed, $"max abs diff {model.Parity.MaxAbsDiff}");

        // The unrolled graph's default scorer takes 1,024 windows per call; the node graph keeps the general default of 256.
        Assert.Equal(unrolled ? 1024 : new OnnxScoringOptions().BatchSize, model.DefaultScoringBatchSize);
        using var scorer = model.CreateBatchScorer();
        Assert.Equal(model.DefaultScoringBatchSize, scorer.BatchSize);
    }

    [Fact]
    public void OnlyGruStacksOfAtMost64UnitsAreUnrolled()
    {
        Assert.True(ForecasterTrainer.UnrollsSteps(new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 64, 2, true)));
        Assert.False(ForecasterTrainer.UnrollsSteps(new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 128, 1, false)));
        Assert.False(ForecasterTrainer.UnrollsSteps(new RecurrentArchitecture(RecurrentCellKind.Lstm, 1, 16, 1, false)));
        Assert.False(ForecasterTrainer.UnrollsSteps(new RecurrentArchitecture(RecurrentCellKind.RnnTanh, 1, 16, 1, false)));
    }
}
