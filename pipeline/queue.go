package pipeline

import (
	"context"
	"sync"

	"github.com/mxverify/mxverify/verify"
)

// task is a domain on its way from the reader to the workers.
type task struct {
	index  int32
	domain string
	// prior is what was known before DNS, rarely anything: a result
	// decided without DNS (invalid, or fresh in the cache), or an expired
	// cached one for the changes report.
	prior *prior
}

type prior struct {
	known  *verify.Result
	cached *verify.Result
}

// queue hands the reader's new domains to the workers. It has no bound:
// the reader runs ahead of DNS, so that every domain and its rows are
// counted (for the progress, the per-domain output and the suggestions)
// long before the last is resolved; a queued domain costs 32 bytes
// besides its name, which the domain index holds anyway.
type queue struct {
	ctx    context.Context
	mu     sync.Mutex
	cond   sync.Cond
	tasks  []task
	head   int
	closed bool
}

func newQueue(ctx context.Context) *queue {
	q := &queue{ctx: ctx}
	q.cond.L = &q.mu
	context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	return q
}

func (q *queue) push(t task) {
	q.mu.Lock()
	q.tasks = append(q.tasks, t)
	q.mu.Unlock()
	q.cond.Signal()
}

// close tells the workers that no more tasks will come.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// pop returns the next task, waiting for one; false once the queue is
// closed and empty, or the run is cancelled.
func (q *queue) pop() (task, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.tasks) {
		if q.closed || q.ctx.Err() != nil {
			return task{}, false
		}
		q.cond.Wait()
	}
	t := q.tasks[q.head]
	q.tasks[q.head] = task{}
	q.head++
	// Drop what was taken once it is half the slice, so that the queue
	// holds what is waiting, not everything that ever waited.
	if q.head > 1024 && 2*q.head >= len(q.tasks) {
		q.tasks = append(q.tasks[:0], q.tasks[q.head:]...)
		q.head = 0
	}
	return t, true
}
