import { IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';

/** POST /orders body. Invalid bodies are rejected with 400 before any transaction starts. */
export class PlaceOrderDto {
  @IsString()
  @Length(1, 64)
  @Matches(/^[A-Za-z0-9_-]+$/)
  customerId!: string;

  @IsInt()
  @Min(1)
  @Max(100_000_000)
  totalCents!: number;

  @IsInt()
  @Min(1)
  @Max(1000)
  itemCount!: number;
}
