using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx.Scoring;

/// <summary>
/// A lazy view that adds an <see cref="OnnxRaggedScorer"/>'s output column to an input view: each window of rows is read ahead (the
/// feature vector, cut to the row's length when a length column is given), scored in batches, and handed out as the cursor reaches it.
/// </summary>
internal sealed class RaggedScoredDataView : ReadAheadScoredDataView
{
    private readonly OnnxRaggedScorer _scorer;
    private readonly DataViewSchema.Column _feature;
    private readonly DataViewSchema.Column? _length;

    public RaggedScoredDataView(OnnxRaggedScorer scorer, IDataView input, string featureColumnName, string? lengthColumnName, string outputColumnName,
        VectorDataViewType outputType)
        : this(scorer, input, Sources(input.Schema, featureColumnName, lengthColumnName), outputColumnName, outputType)
    {
    }

    private RaggedScoredDataView(OnnxRaggedScorer scorer, IDataView input, DataViewSchema.Column[] sources, string outputColumnName, VectorDataViewType outputType)
        : base(input, sources, new[] { (outputColumnName, (DataViewType)outputType) })
    {
        _scorer = scorer;
        _feature = sources[0];
        _length = sources.Length > 1 ? sources[1] : null;
    }

    private static DataViewSchema.Column[] Sources(DataViewSchema schema, string featureColumnName, string? lengthColumnName)
    {
        var feature = SchemaValidation.RequireColumn(schema, featureColumnName, "feature");
        if (feature.Type is not VectorDataViewType { ItemType: var item } || item != NumberDataViewType.Single)
            throw new ArgumentException($"The feature column '{featureColumnName}' is {SchemaValidation.Describe(feature.Type)}; the model reads a vector of Single.");
        if (lengthColumnName is null)
            return new[] { feature };
        var length = SchemaValidation.RequireColumn(schema, lengthColumnName, "length");
        if (!NumberGetters.Types.Contains(length.Type))
            throw new ArgumentException($"The length column '{lengthColumnName}' is {SchemaValidation.Describe(length.Type)}; it must be a number of steps.");
        return new[] { feature, length };
    }

    protected override ScoringWindow CreateWindow(DataViewRowCursor ahead) => new Window(this, ahead);

    /// <summary>One window of rows copied from the read-ahead cursor, and their scores.</summary>
    private sealed class Window : ScoringWindow
    {
        private readonly RaggedScoredDataView _parent;
        private readonly DataViewRowCursor _ahead;
        private readonly ValueGetter<VBuffer<float>> _featureGetter;
        private readonly Func<double>? _lengthGetter;
        private readonly ValueGetter<DataViewRowId> _aheadId;
        private readonly ReadOnlyMemory<float>[] _rows;
        private readonly float[] _outputs;
        private readonly DataViewRowId[] _ids;
        private VBuffer<float> _row;

        public Window(RaggedScoredDataView parent, DataViewRowCursor ahead)
        {
            _parent = parent;
            _ahead = ahead;
            int batch = parent._scorer.BatchSize;
            _rows = new ReadOnlyMemory<float>[batch];
            _outputs = new float[batch * parent._scorer.OutputWidth];
            _ids = new DataViewRowId[batch];
            _featureGetter = ahead.GetGetter<VBuffer<float>>(parent._feature);
            _lengthGetter = parent._length is { } length ? NumberGetters.AsDouble(ahead, length) : null;
            _aheadId = ahead.GetIdGetter();
        }

        public override DataViewRowId RowId(int row) => _ids[row];

        public override ValueGetter<TValue> GetGetter<TValue>(int added, string name, Func<int> row) =>
            FloatRows<TValue>(name, _outputs, _parent._scorer.OutputWidth, row);

        public override void ScoreNext(long firstPosition)
        {
            var scorer = _parent._scorer;
            int features = scorer.FeaturesPerStep;
            Count = 0;
            while (Count < scorer.BatchSize && _ahead.MoveNext())
            {
                _featureGetter(ref _row);
                var values = _row.DenseValues().ToArray();
                if (_lengthGetter is not null)
                    values = values[..(StepLengths.Require(_lengthGetter(), values.Length / features, _ahead.Position, _parent._length!.Value.Name, _parent._feature.Name) * features)];
                _rows[Count] = values;
                _aheadId(ref _ids[Count]);
                Count++;
            }
            scorer.Score(new ArraySegment<ReadOnlyMemory<float>>(_rows, 0, Count), _outputs, firstPosition);
        }
    }
}
