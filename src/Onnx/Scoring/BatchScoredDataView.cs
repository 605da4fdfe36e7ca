using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// A lazy view that adds an <see cref="OnnxBatchScorer"/>'s output column to an input view, scoring one batch of fixed-width rows at a
/// time as a cursor moves.
/// </summary>
internal sealed class BatchScoredDataView : ReadAheadScoredDataView
{
    private readonly OnnxBatchScorer _scorer;
    private readonly DataViewSchema.Column _feature;

    /// <param name="scorer">The scorer.</param>
    /// <param name="input">The rows to score.</param>
    /// <param name="inputColumnName">A Vector&lt;Single, InputWidth&gt; column.</param>
    /// <param name="outputColumnName">The column to add.</param>
    /// <param name="outputType">The added column's type: null for Vector&lt;Single, OutputWidth&gt;, or the shape ML.NET's OnnxTransformer gives the same output.</param>
    public BatchScoredDataView(OnnxBatchScorer scorer, IDataView input, string inputColumnName, string outputColumnName, VectorDataViewType? outputType = null)
        : this(scorer, input, SchemaValidation.RequireSingleVector(input.Schema, inputColumnName, "input", scorer.InputWidth), outputColumnName, outputType)
    {
    }

    private BatchScoredDataView(OnnxBatchScorer scorer, IDataView input, DataViewSchema.Column feature, string outputColumnName, VectorDataViewType? outputType)
        : base(input, feature, new[] { (outputColumnName, (DataViewType)(outputType ?? new VectorDataViewType(NumberDataViewType.Single, scorer.OutputWidth))) })
    {
        _scorer = scorer;
        _feature = feature;
    }

    protected override ScoringWindow CreateWindow(DataViewRowCursor ahead) => new Window(this, ahead);

    /// <summary>One batch of rows copied from the read-ahead cursor, and their scores.</summary>
    private sealed class Window : ScoringWindow
    {
        private readonly BatchScoredDataView _parent;
        private readonly DataViewRowCursor _ahead;
        private readonly ValueGetter<VBuffer<float>> _featureGetter;
        private readonly ValueGetter<DataViewRowId> _aheadId;
        private readonly float[] _inputs;
        private readonly float[] _outputs;
        private readonly DataViewRowId[] _ids;
        private VBuffer<float> _row;

        public Window(BatchScoredDataView parent, DataViewRowCursor ahead)
        {
            _parent = parent;
            _ahead = ahead;
            int batch = parent._scorer.BatchSize;
            _inputs = new float[batch * parent._scorer.InputWidth];
            _outputs = new float[batch * parent._scorer.OutputWidth];
            _ids = new DataViewRowId[batch];
            _featureGetter = ahead.GetGetter<VBuffer<float>>(parent._feature);
            _aheadId = ahead.GetIdGetter();
        }

        public override DataViewRowId RowId(int row) => _ids[row];

        public override ValueGetter<TValue> GetGetter<TValue>(int added, string name, Func<int> row) =>
            FloatRows<TValue>(name, _outputs, _parent._scorer.OutputWidth, row);

        public override void ScoreNext(long firstPosition)
        {
            var scorer = _parent._scorer;
            int width = scorer.InputWidth;
            Count = 0;
            while (Count < scorer.BatchSize && _ahead.MoveNext())
            {
                _featureGetter(ref _row);
                if (_row.Length != width)
                    throw new InvalidOperationException($"Column '{_parent._feature.Name}' has {_row.Length} values at row {_ahead.Position}; the model takes {width}.");
                _row.CopyTo(_inputs.AsSpan(Count * width, width));
                _aheadId(ref _ids[Count]);
                Count++;
            }
            var rows = _inputs.AsSpan(0, Count * width);
            scorer.ValidateRows(rows, firstPosition);
            scorer.ScoreValidated(rows, _outputs);
        }
    }
}
