/**
 * SuspendableTimers: a suspended countdown keeps the time it had left, new timers wait for the
 * resume, cleared timers never fire. Pure logic, on vitest's fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SuspendableTimers } from '../../src/session/suspendable-timers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function makeTimers(): SuspendableTimers {
  return new SuspendableTimers(() => Date.now());
}

describe('SuspendableTimers', () => {
  it('fires after its delay when never suspended', () => {
    const timers = makeTimers();
    const fired = vi.fn();
    timers.setTimeout(fired, 1000);
    vi.advanceTimersByTime(999);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('does not count suspended time, and keeps what was left', () => {
    const timers = makeTimers();
    const fired = vi.fn();
    timers.setTimeout(fired, 1000);
    vi.advanceTimersByTime(300);
    timers.suspend();
    vi.advanceTimersByTime(5000);
    expect(fired).not.toHaveBeenCalled();
    timers.resume();
    vi.advanceTimersByTime(699);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('adds up several suspensions', () => {
    const timers = makeTimers();
    const fired = vi.fn();
    timers.setTimeout(fired, 1000);
    for (let round = 0; round < 3; round += 1) {
      vi.advanceTimersByTime(300);
      timers.suspend();
      vi.advanceTimersByTime(2000);
      timers.resume();
    }
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('holds a timer started while suspended until the resume', () => {
    const timers = makeTimers();
    timers.suspend();
    const fired = vi.fn();
    timers.setTimeout(fired, 100);
    vi.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    timers.resume();
    vi.advanceTimersByTime(100);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('never fires a cleared timer, suspended or not', () => {
    const timers = makeTimers();
    const [one, two] = [vi.fn(), vi.fn()];
    timers.setTimeout(one, 100).clear();
    const second = timers.setTimeout(two, 100);
    timers.suspend();
    second.clear();
    timers.resume();
    vi.advanceTimersByTime(1000);
    expect(one).not.toHaveBeenCalled();
    expect(two).not.toHaveBeenCalled();
  });

  it('treats suspend() and resume() as idempotent', () => {
    const timers = makeTimers();
    const fired = vi.fn();
    timers.setTimeout(fired, 1000);
    vi.advanceTimersByTime(400);
    timers.suspend();
    vi.advanceTimersByTime(400);
    timers.suspend(); // must not take the 400 ms suspended off the time left
    expect(timers.isSuspended).toBe(true);
    timers.resume();
    timers.resume();
    vi.advanceTimersByTime(599);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
    expect(timers.isSuspended).toBe(false);
  });
});
