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
        private readonly ValueGetter<DataViewRowId>? _aheadId;
        private readonly ValueGetter<DataViewRowId> _mainId;
        private readonly float[] _inputs;
        private readonly float[] _outputs;
        private readonly DataViewRowId[] _ids;
        private VBuffer<float> _row;
        private long _batchStart;
        private int _batchCount;

        public Cursor(BatchScoredDataView parent, DataViewRowCursor main, DataViewRowCursor? ahead)
        {
            _parent = parent;
            _main = main;
            _ahead = ahead;
            int batch = parent._scorer.BatchSize;
            _inputs = ahead is null ? Array.Empty<float>() : new float[batch * parent._scorer.InputWidth];
            _outputs = ahead is null ? Array.Empty<float>() : new float[batch * parent._scorer.OutputWidth];
            _ids = ahead is null ? Array.Empty<DataViewRowId>() : new DataViewRowId[batch];
            _featureGetter = ahead?.GetGetter<VBuffer<float>>(parent._feature);
            _aheadId = ahead?.GetIdGetter();
            _mainId = main.GetIdGetter();
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
                long index = _main.Position - _batchStart;
                if (_main.Position < 0 || index >= _batchCount)
                    throw new InvalidOperationException("The cursor is not on a row: call MoveNext first (and only while it returns true).");
                int width = _parent._scorer.OutputWidth;
                int offset = (int)index * width;
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
            if (_ahead is null)
                return true;
            if (_main.Position >= _batchStart + _batchCount)
                ScoreNextBatch();
            // The two passes over the input must see the same rows; a source that changes between passes would pair rows with
            // other rows' scores.
            DataViewRowId id = default;
            _mainId(ref id);
            if (!id.Equals(_ids[_main.Position - _batchStart]))
                throw new InvalidOperationException(
                    $"The input view returned different rows on two passes (row {_main.Position}). Batched scoring needs a view that gives the same rows " +
                    "in the same order every time it is read; cache it first (mlContext.Data.Cache) if it does not.");
            return true;
        }

        private void ScoreNextBatch()
        {
            int width = _parent._scorer.InputWidth;
            int batch = _parent._scorer.BatchSize;
            _batchStart = _main.Position;
            _batchCount = 0;
            while (_batchCount < batch && _ahead!.MoveNext())
            {
                _featureGetter!(ref _row);
                if (_row.Length != width)
                    throw new InvalidOperationException($"Column '{_parent._feature.Name}' has {_row.Length} values at row {_ahead.Position}; the model takes {width}.");
                _row.CopyTo(_inputs.AsSpan(_batchCount * width, width));
                _aheadId!(ref _ids[_batchCount]);
                _batchCount++;
            }
            if (_batchCount == 0)
                throw new InvalidOperationException(
                    $"The input view ended early on its second pass (at row {_main.Position}). Batched scoring needs a view that gives the same rows every time it is read.");
            var rows = _inputs.AsSpan(0, _batchCount * width);
            _parent._scorer.ValidateRows(rows, _batchStart);
            _parent._scorer.ScoreValidated(rows, _outputs);
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
