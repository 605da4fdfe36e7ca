using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx;

/// <summary>
/// A lazy view that adds the scorer's output column to an input view, scoring in batches as a cursor moves: a second
/// cursor over the input reads the next batch of feature rows ahead, so memory stays constant however long the input is.
/// </summary>
internal sealed class BatchScoredDataView : IDataView
{
    private readonly OnnxBatchScorer _scorer;
    private readonly IDataView _input;
    private readonly DataViewSchema.Column _feature;

    public BatchScoredDataView(OnnxBatchScorer scorer, IDataView input, string inputColumnName, string outputColumnName)
    {
        _scorer = scorer;
        _input = input;
        _feature = SchemaValidation.RequireSingleVector(input.Schema, inputColumnName, "input", scorer.InputWidth);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema);
        builder.AddColumn(outputColumnName, new VectorDataViewType(NumberDataViewType.Single, scorer.OutputWidth));
        Schema = builder.ToSchema();
    }

    public DataViewSchema Schema { get; }

    // Rows are scored in input order; a shuffled cursor would break the pairing of the two input cursors.
    public bool CanShuffle => false;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        int inputCount = _input.Schema.Count;
        bool outputActive = needed.Any(c => c.Index >= inputCount);
        var inputNeeded = needed.Where(c => c.Index < inputCount).Select(c => _input.Schema[c.Index]).ToList();
        return new Cursor(this, _input.GetRowCursor(inputNeeded), outputActive ? _input.GetRowCursor(new[] { _feature }) : null);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchScoredDataView _parent;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _ahead;
        private readonly ValueGetter<VBuffer<float>>? _featureGetter;
        private readonly float[] _inputs;
        private readonly float[] _outputs;
        private VBuffer<float> _row;
        private long _batchStart;
        private int _batchCount;

        public Cursor(BatchScoredDataView parent, DataViewRowCursor main, DataViewRowCursor? ahead)
        {
            _parent = parent;
            _main = main;
            _ahead = ahead;
            int batch = parent._scorer.Options.BatchSize;
            _inputs = ahead is null ? Array.Empty<float>() : new float[batch * parent._scorer.InputWidth];
            _outputs = ahead is null ? Array.Empty<float>() : new float[batch * parent._scorer.OutputWidth];
            _featureGetter = ahead?.GetGetter<VBuffer<float>>(parent._feature);
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _main.Position;

        public override long Batch => _main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _parent._input.Schema.Count ? _main.IsColumnActive(_parent._input.Schema[column.Index]) : _ahead is not null;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _parent._input.Schema.Count)
                return _main.GetGetter<TValue>(_parent._input.Schema[column.Index]);
            if (_ahead is null)
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            if (typeof(TValue) != typeof(VBuffer<float>))
                throw new InvalidOperationException($"Column '{column.Name}' is a Vector<Single>; ask for VBuffer<float>, not {typeof(TValue).Name}.");
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                int width = _parent._scorer.OutputWidth;
                int offset = (int)(_main.Position - _batchStart) * width;
                var editor = VBufferEditor.Create(ref value, width);
                _outputs.AsSpan(offset, width).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        public override bool MoveNext()
        {
            if (!_main.MoveNext())
                return false;
            if (_ahead is not null && _main.Position >= _batchStart + _batchCount)
                ScoreNextBatch();
            return true;
        }

        private void ScoreNextBatch()
        {
            int width = _parent._scorer.InputWidth;
            int batch = _parent._scorer.Options.BatchSize;
            _batchStart = _main.Position;
            _batchCount = 0;
            while (_batchCount < batch && _ahead!.MoveNext())
            {
                _featureGetter!(ref _row);
                if (_row.Length != width)
                    throw new InvalidOperationException($"Column '{_parent._feature.Name}' has {_row.Length} values at row {_ahead.Position}; the model takes {width}.");
                var destination = _inputs.AsSpan(_batchCount * width, width);
                _row.CopyTo(destination);
                for (int i = 0; i < width; i++)
                {
                    if (!float.IsFinite(destination[i]))
                        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                            $"Column '{_parent._feature.Name}' has {destination[i]} at row {_ahead.Position}, slot {i}; scoring needs finite values."));
                }
                _batchCount++;
            }
            _parent._scorer.Score(_inputs.AsSpan(0, _batchCount * width), _outputs);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _main.Dispose();
                _ahead?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
