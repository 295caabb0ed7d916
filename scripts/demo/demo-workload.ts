import { postJson } from './demo-http.js';

/** What the workload asked for and what the orders service answered. */
export interface WorkloadStats {
  requests: number;
  placed: number;
  paid: number;
  cancelled: number;
  rejectedInvalid: number; // 400: DTO validation, before any transaction
  rolledBackCredit: number; // 422: order row written, then the transaction rolled back
  rolledBackState: number; // 409: pay/cancel not allowed in the order's state
  unexpected: number;
}

export interface WorkloadOptions {
  ordersUrl: string;
  orders: number;
  customers: number;
  concurrency: number;
  onProgress?: (done: number) => void;
}

/** Deterministic pseudo-random numbers, so two runs of the demo drive the same workload. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Drives the orders API like a shop would: place, then mostly pay or cancel. Some requests
 * fail by design (invalid body, over the credit limit, paying a cancelled order) so the
 * report can show that a failed request leaks no event.
 */
export async function runWorkload(options: WorkloadOptions): Promise<WorkloadStats> {
  const stats: WorkloadStats = {
    requests: 0,
    placed: 0,
    paid: 0,
    cancelled: 0,
    rejectedInvalid: 0,
    rolledBackCredit: 0,
    rolledBackState: 0,
    unexpected: 0,
  };
  const random = rng(42);
  const plans = Array.from({ length: options.orders }, (_, i) => ({
    customerId: `customer-${String(i % options.customers).padStart(3, '0')}`,
    invalid: random() < 0.04,
    overLimit: random() < 0.04,
    totalCents: 100 + Math.floor(random() * 99_900),
    followUp: random(),
  }));
  const count = (status: number, ok: () => void) => {
    stats.requests++;
    if (status >= 200 && status < 300) ok();
    else if (status === 400) stats.rejectedInvalid++;
    else if (status === 422) stats.rolledBackCredit++;
    else if (status === 409) stats.rolledBackState++;
    else stats.unexpected++;
  };

  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < plans.length) {
      const plan = plans[next++];
      const body = plan.invalid
        ? { customerId: plan.customerId, totalCents: -1, itemCount: 0 }
        : {
            customerId: plan.customerId,
            totalCents: plan.overLimit ? 900_000 : plan.totalCents,
            itemCount: 1 + (plan.totalCents % 5),
          };
      const placed = await postJson<{ id: string }>(`${options.ordersUrl}/orders`, body);
      count(placed.status, () => stats.placed++);
      if (placed.status === 201) {
        const id = placed.json!.id;
        if (plan.followUp < 0.6) {
          count((await postJson(`${options.ordersUrl}/orders/${id}/pay`)).status, () => stats.paid++);
        } else if (plan.followUp < 0.8) {
          count((await postJson(`${options.ordersUrl}/orders/${id}/cancel`)).status, () => stats.cancelled++);
          // Paying a cancelled order is refused and rolls back: no event may leak.
          if (plan.followUp < 0.65) count((await postJson(`${options.ordersUrl}/orders/${id}/pay`)).status, () => stats.paid++);
        }
      }
      done++;
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return stats;
}
